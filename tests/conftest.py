"""Suite-wide settings: quiet TensorFlow, a non-interactive matplotlib backend."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
