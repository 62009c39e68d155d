"""Every label key and label value cprofiler puts on images and containers.

Labels are how cprofiler finds its own things again on an engine it shares: the containers of an
invocation (and whether that invocation still lives), the image already built from equal inputs,
and the stand-in bases with what was learnt of them. They outlive the process that wrote them, so
a key, once used, keeps its spelling: images built by an earlier version are still found.
"""

from __future__ import annotations

#: Key carried by every image and container cprofiler makes; its value says whose it is: the
#: invocation id on containers and scenario images, ``STAND_IN_OWNER`` on stand-in bases.
LABEL = "cprofiler"
#: Value of ``LABEL`` on stand-in images and on the containers that probe them: they belong to no
#: invocation, since one build serves every later one.
STAND_IN_OWNER = "base"

# --- containers: who made them, so that ``cprofiler clean`` can tell a dead invocation's ---------

#: The process id of the invocation that made a container.
LABEL_PID = "cprofiler.pid"
#: That process's start time (seconds since the epoch), as versions before ``LABEL_PID_TICKS``
#: judged by; still written so that they can judge the containers of newer ones.
LABEL_PID_STARTED = "cprofiler.pid_started"
#: That process's start time in clock ticks since boot (``/proc/PID/stat`` field 22), so a reused
#: pid is not mistaken for it: unlike epoch seconds, it does not move when the wall clock is stepped.
LABEL_PID_TICKS = "cprofiler.pid_ticks"
#: The host name of that invocation: a pid means something only on its own host.
LABEL_HOST = "cprofiler.host"
#: That invocation's PID namespace (``pid:[4026531836]``): a pid means something only there
#: (cprofiler in a container with the engine's socket is pid 1 of its own namespace).
LABEL_PIDNS = "cprofiler.pidns"
#: The scenario image name a container belongs to.
LABEL_IMAGE = "cprofiler.image"

# --- images: what they were built from -----------------------------------------------------------

#: On scenario images: the sha256 of the Dockerfile text, the build args and every file of the
#: context (``images.build.image_inputs_hash``); images with equal inputs are built once.
LABEL_IMAGE_INPUTS_HASH = "cprofiler.inputs"
#: On stand-in images: the sha256 of the recipe's files, the mirror, the Debian suite and the tags
#: of the stand-ins it builds FROM (``images.bases.inputs.recipe_inputs_hash``); its tag carries
#: the first 16 digits. The key is the one scenario images use, as it always was: the two hashes
#: cover different texts and never meet, and a new key would make every built stand-in unknown.
LABEL_RECIPE_INPUTS_HASH = "cprofiler.inputs"

# --- stand-in images: what they are --------------------------------------------------------------

#: The recipe's name (``musl-python``).
LABEL_RECIPE = "cprofiler.base"
#: What the stand-in stands in for (``python:*-alpine``).
LABEL_STANDS_IN_FOR = "cprofiler.stands_in_for"
#: The versions inside (``musl 1.2.3, busybox 1.35.0, CPython 3.11.2``); present once probed.
LABEL_DETAIL = "cprofiler.detail"
#: The modules an official image has and this one lacks, comma-separated.
LABEL_MISSING = "cprofiler.missing"
