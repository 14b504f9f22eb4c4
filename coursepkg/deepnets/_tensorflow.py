"""Import TensorFlow and Keras without their start-up noise on CPU machines.

On a machine without a GPU, ``import tensorflow`` writes lines such as

    I0000 ... port.cc:153] oneDNN custom operations are on ...
    I0000 ... cudart_stub.cc:31] Could not find cuda drivers on your machine ...
    E0000 ... cuda_platform.cc:52] failed call to cuInit: ... UNKNOWN ERROR (303)

straight to file descriptor 2, before TensorFlow's own log level applies; Jupyter shows
them in red. :func:`import_quietly` therefore

1. sets ``TF_CPP_MIN_LOG_LEVEL=2`` and, when no GPU is wanted, ``CUDA_VISIBLE_DEVICES=""``,
   each only if the variable is unset (a value you set wins);
2. imports TensorFlow and Keras and lists the devices (which is when cuInit runs) with
   file descriptor 2 sent to a temporary file, then writes back every captured line
   that is not one of the known start-up messages (``NOISE``), so real errors still show.

"No GPU wanted" means: ``COURSEPKG_GPU`` is not set to 1 and the machine has no NVIDIA
device (``/dev/nvidia0``). With a GPU, CUDA lines are passed through untouched.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from types import ModuleType

# Start-up lines of TensorFlow on CPU machines (glog/absl format: I/W/E, date, file).
NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IW]\d{4} .*\] (oneDNN custom operations|This TensorFlow binary is optimized)"
    r"|To enable the following instructions:"
    r"|[IWE]\d{4} .*(cudart_stub|cuda_platform|cuda_executor|cuda_dnn|cuda_fft|cuda_blas"
    r"|cuda_diagnostics|gpu_device)\.cc)")
_CUDA = re.compile(r"cuda|cuInit|GPU", re.IGNORECASE)


def gpu_wanted() -> bool:
    """True when ``COURSEPKG_GPU=1`` or the machine has an NVIDIA device."""
    return os.environ.get("COURSEPKG_GPU") == "1" or os.path.exists("/dev/nvidia0")


def keep_line(line: str, gpu: bool) -> bool:
    """Whether a captured start-up line is worth showing (not known CPU-machine noise)."""
    if not line.strip():
        return False
    if gpu and _CUDA.search(line):
        return True
    return not NOISE.search(line)


def import_quietly() -> tuple[ModuleType, ModuleType]:
    """Import and return ``(tensorflow, keras)``, hiding the CPU-machine start-up noise."""
    if "tensorflow" in sys.modules and "keras" in sys.modules:
        return sys.modules["tensorflow"], sys.modules["keras"]
    gpu = gpu_wanted()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not gpu:
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import keras
            import tensorflow as tf
            tf.config.list_physical_devices()
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        text = captured.read().decode("utf-8", errors="replace")
    shown = [line for line in text.splitlines() if keep_line(line, gpu)]
    if shown:
        print("\n".join(shown), file=sys.stderr)
    return tf, keras
