"""ytjobs.shadowing on a job's own interpreter (the oldest Python here, bare): which files
ahead of the standard library are taken for shadows of a module the JSON engines load."""

from __future__ import annotations

import json

from bare_python import run_bare

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from ytjobs import shadowing
print(json.dumps(shadowing.shadowing_file({"typing_extensions", "copy"} - set(sys.modules))))
"""


def _found(folder) -> str | None:
    done = run_bare(["-c", PROBE, str(folder)])
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_installed_module_in_a_site_packages_folder_on_the_path_shadows_nothing(tmp_path):
    """A wheel install's site-packages put on PYTHONPATH (a job run without a code archive
    had it so) holds typing_extensions itself: the engines stay in use."""
    packages = tmp_path / "lib" / "site-packages"
    packages.mkdir(parents=True)
    (packages / "typing_extensions.py").write_text("")
    assert _found(packages) is None
    (packages / "copy.py").write_text("")  # a standard module's name: a shadow anywhere
    assert _found(packages) == str(packages / "copy.py")


def test_the_same_file_in_a_job_s_own_folder_is_a_shadow(tmp_path):
    (tmp_path / "typing_extensions.py").write_text("")
    assert _found(tmp_path) == str(tmp_path / "typing_extensions.py")
