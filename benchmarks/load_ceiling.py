"""The load generators' ceiling on this machine, and what cprofiler's own sampling costs.

    python benchmarks/load_ceiling.py [--repeats 5] [--duration 5] [--connections 32] [--out FILE]

1. **ceiling**: each installed generator against the trivial load server (``COST_US=0``, FROM
   scratch), the server pinned to the container's CPU and the generator to the other, closed loop;
   the median of ``--repeats`` runs (``step.ceiling``). A measured row above 70 % of it is
   generator-bound.
2. **sampler cost**: one step of the default generator against a CPU-bound server
   (``COST_US=200``) with the cgroup sampler running; the CPU time of the sampler's thread divided
   by the step's length, and the rate it sampled at.

A benchmark, not a test: it reports what this machine does and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

from cprofiler import engine as engine_mod  # noqa: E402
from cprofiler.measure.load import DEFAULT_GENERATOR, GENERATORS, make_generator  # noqa: E402
from cprofiler.measure.load.cpus import split_cpus  # noqa: E402
from cprofiler.measure.load.generators import LoadRequest, LoadShape, cpuset_cpus  # noqa: E402
from cprofiler.measure.load.sampler import StepSampler  # noqa: E402
from cprofiler.measure.load.server import ServerLimits, build_loadserver, started  # noqa: E402
from cprofiler.measure.load.step import CeilingPlan, ceiling, open_container_netns  # noqa: E402
from cprofiler.measure.memory import Cgroup  # noqa: E402


def sampler_cost(engine: Any, image: str, cpus: Any, duration_s: float, connections: int) -> dict[str, float]:
    gen = make_generator(DEFAULT_GENERATOR)
    with started(engine, image, env={"COST_US": "200"}, limits=ServerLimits(cpuset_cpus=cpus.container)) as server:
        cgroup = Cgroup.of_pid(server.pid)
        if cgroup is None:
            raise SystemExit("the load server's cgroup is not visible from here")
        fd = open_container_netns(server.pid, server.container_id)
        try:
            sampler = StepSampler(cgroup, cpus=cpuset_cpus(cpus.generator))
            sampler.start()
            try:
                result = gen.run(LoadRequest(port=8080), LoadShape(connections, duration_s), netns_fd=fd, cpuset=cpus.generator)
            finally:
                figures = sampler.stop()
        finally:
            os.close(fd)
    return {
        "qps": result.counts.qps,
        "samples": figures.samples,
        "sample_hz": figures.samples / figures.elapsed_s,
        "sampler_cpu_ms": figures.sampler_cpu_s * 1000,
        "sampler_cpu_share": figures.sampler_cpu_s / figures.elapsed_s,
        "container_cpu_cores": figures.cpu_cores or 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    engine = engine_mod.connect()
    cpus = split_cpus(int(engine.describe()["engine_cpus"]))
    image = build_loadserver(engine, invocation="benchmark-load").info.id
    shape = LoadShape(connections=args.connections, duration_s=args.duration)
    rows, out = [], {"cpuset": cpus.to_json(), "connections": args.connections, "duration_s": args.duration, "ceiling": {}}
    for name in GENERATORS.names():
        gen = make_generator(name)
        version = gen.version()
        if version is None:
            rows.append([name, "not installed", "", "", ""])
            continue
        c = ceiling(engine, gen, CeilingPlan(LoadRequest(port=8080), shape, cpus, warmup_s=1, repeats=args.repeats), image=image)
        out["ceiling"][name] = {"version": version, **c.model_dump(mode="json")}
        rows.append([name, version, f"{c.qps:,.0f}", f"{c.latency_ms.p50:.2f}", f"{c.latency_ms.p99:.2f}"])
    print(f"ceiling: trivial server on CPU {cpus.container}, generator on CPU {cpus.generator}, {args.connections} connections,")
    print(f"closed loop, median of {args.repeats} runs of {args.duration:g} s")
    print(tabulate(rows, headers=["generator", "version", "req/s", "p50 ms", "p99 ms"]))

    cost = sampler_cost(engine, image, cpus, args.duration, args.connections)
    out["sampler"] = cost
    print(
        f"\nsampler during a {args.duration:g} s step ({DEFAULT_GENERATOR}, COST_US=200 server at {cost['qps']:,.0f} req/s "
        f"on {cost['container_cpu_cores']:.2f} cores), sampler pinned to CPU {cpus.generator}:"
    )
    print(
        tabulate(
            [
                [
                    cost["samples"],
                    f"{cost['sample_hz']:.1f}",
                    f"{cost['sampler_cpu_ms']:.1f}",
                    f"{cost['sampler_cpu_share'] * 100:.2f} %",
                ]
            ],
            headers=["samples", "Hz", "sampler CPU ms", "CPU share of one core"],
        )
    )
    # The machine may be shared: say how busy it was, since every figure above depends on it.
    out["load_average_1m"] = os.getloadavg()[0]
    print(f"\nload average (1 min) at the end: {out['load_average_1m']:.2f} on {os.cpu_count()} CPUs")
    if args.out:
        args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
