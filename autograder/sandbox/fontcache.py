"""A warm matplotlib font list for the student's sandbox.

A sandbox starts with an empty HOME, so matplotlib, on its first import in every kernel,
searches the system's fonts and writes its font list again: about 0.2 s of CPU per
hand-in (benchmarks/grading.py). The grading worker copies the list its own matplotlib
already keeps (the same fonts, at the same paths: the sandbox sees /usr and the venv
read-only where they are) into the hand-in's scratch folder, and the kernel's
MPLCONFIGDIR points there (bubblewrap.py). Only a copy: a kernel that rewrites it changes
nothing outside its sandbox.
"""
import shutil
from pathlib import Path

FOLDER = ".matplotlib"   # in the scratch folder (/handin), the kernel's MPLCONFIGDIR


def font_list() -> Path:
    """The font list file of this process's matplotlib (it exists once matplotlib's font
    manager has been loaded, which importing matplotlib.font_manager does). Imported
    here, in the worker: the sandbox module's other users need no matplotlib."""
    import matplotlib
    from matplotlib.font_manager import FontManager
    return Path(matplotlib.get_cachedir()) / f"fontlist-v{FontManager.__version__}.json"


def stage(scratch: Path) -> bool:
    """Copy the font list into scratch/FOLDER; False when there is none to copy."""
    source = font_list()
    if not source.is_file():
        return False
    (scratch / FOLDER).mkdir(exist_ok=True)
    shutil.copyfile(source, scratch / FOLDER / source.name)
    return True
