"""Unpack the wheels this python3 can import into a folder for PYTHONPATH (the bases have no pip).

A pure wheel (``py3-none-any``) always; a compiled one when its ABI is this interpreter's
(``cp312-cp312``) or the stable ABI of a version not above it (``cp311-abi3``). Unpacking is all
that installing a wheel does, bar the scripts and metadata records nobody runs here.
Usage: python3 install-wheels.py WHEELS_DIR TARGET_DIR
"""

import sys
import zipfile
from pathlib import Path


def compatible(name: str) -> bool:
    python_tag, abi_tag = name[: -len(".whl")].split("-")[-3:-1]
    here = sys.version_info
    if abi_tag == "none":
        return python_tag.startswith("py3")
    if abi_tag == f"cp{here.major}{here.minor}":
        return True
    return abi_tag == "abi3" and int(python_tag[3:]) <= here.minor


def main() -> None:
    wheels, target = Path(sys.argv[1]), Path(sys.argv[2])
    chosen = sorted(w for w in wheels.glob("*.whl") if compatible(w.name))
    if not chosen:
        sys.exit(f"no wheel in {wheels} fits this python3: run examples/article/fetch-deps.sh first")
    for wheel in chosen:
        zipfile.ZipFile(wheel).extractall(target)
    print(f"install-wheels: {len(chosen)} of {len(list(wheels.glob('*.whl')))} wheels for python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
