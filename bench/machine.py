"""One line describing the machine a benchmark ran on: CPU model, cores, memory, Python."""

import os
import platform
from pathlib import Path


def describe_machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 2**20:.0f} GiB RAM"
    except OSError:
        pass
    return (
        f"machine: {cpu}, {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}){memory}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
