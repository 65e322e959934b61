"""Whether a faster JSON engine can be imported safely next to the job's own files.

A job runs `python3 <script>`, so the script's folder is first on sys.path: a file there
named like a standard module (`copy.py`, `uuid.py`) is what `import copy` loads anywhere in
the job, the standard library's own imports included. msgspec and orjson import such modules
from their C code as they load; given the job's file instead, the import fails half-way and
orjson goes on with what it did not get, killing the job with SIGSEGV and an empty stderr.
A stock cluster's bare python3 has neither engine and reads rows with the json module, so
ytjobs does the same when a module the engines need is shadowed: the job gives the rows it
gives on a cluster instead of crashing. Standard library only, Python 3.8.
"""

import importlib.machinery
import importlib.util
import os
import sys

#: the modules msgspec and orjson load (found with `sys.modules` after importing both on
#: Python 3.11), less those every interpreter has loaded before a script starts
ENGINE_MODULES = frozenset({
    "__future__", "ast", "collections", "contextlib", "copy", "copyreg", "dataclasses",
    "datetime", "decimal", "dis", "enum", "fnmatch", "functools", "inspect", "ipaddress",
    "json", "keyword", "linecache", "numbers", "opcode", "operator", "pathlib", "platform",
    "re", "reprlib", "socket", "textwrap", "token", "tokenize", "types", "typing",
    "typing_extensions", "urllib", "uuid", "warnings", "weakref",
})


#: those of ENGINE_MODULES that are not standard modules: installed beside the engines,
#: their own file in a site-packages folder is the module itself, not a shadow of it
_INSTALLED_MODULES = frozenset({"typing_extensions"})
_SITE_FOLDERS = ("site-packages", "dist-packages")


def _stdlib_dir() -> str:
    return os.path.dirname(os.path.abspath(os.__file__))


def shadowing_file(names=ENGINE_MODULES):
    """The first file ahead of the standard library on sys.path that an import of one of
    `names` not loaded yet would load instead of the standard module, or None."""
    waiting = {name for name in names if name not in sys.modules}
    if not waiting:
        return None
    stdlib = _stdlib_dir()
    suffixes = importlib.machinery.all_suffixes()
    for entry in sys.path:
        folder = os.path.abspath(entry or os.curdir)
        if folder == stdlib:
            return None  # what comes later is found after the standard library
        try:
            listed = set(os.listdir(folder))
        except OSError:
            continue  # a missing entry, or the stdlib's zip which is not there
        installed_here = os.path.basename(folder) in _SITE_FOLDERS
        for name in sorted(waiting):
            if installed_here and name in _INSTALLED_MODULES:
                continue  # a site-packages folder put on PYTHONPATH holds the real one
            if os.path.isfile(os.path.join(folder, name, "__init__.py")):
                return os.path.join(folder, name)
            for suffix in suffixes:
                if name + suffix in listed:
                    return os.path.join(folder, name + suffix)
    return None


def engine_usable(name: str) -> bool:
    """True when the module `name` (a JSON engine) is installed and nothing on sys.path
    shadows a standard module it loads."""
    try:
        if importlib.util.find_spec(name) is None:
            return False
    except (ImportError, ValueError):
        return False
    return shadowing_file() is None
