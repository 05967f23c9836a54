#!/usr/bin/env python3
"""Execute a notebook with nbclient; exit 1 on any cell error.

    PYTHONPATH=<build>/python /usr/bin/python3 tests/python/run_notebook.py NOTEBOOK.ipynb [--save OUT.ipynb]

--save writes the executed copy (with outputs) to OUT, for reading; the
notebook itself is never modified.

The kernel is this same interpreter: a temporary kernelspec pointing at
sys.executable is put first on JUPYTER_PATH, because the 'python3'
kernelspec found on a machine may launch a different Python (a pyenv or
venv one that cannot see Debian's packages). The kernel inherits this
process's environment (PYTHONPATH, PTSPEC_CORPUS, MPLBACKEND). The notebook
runs in a temporary directory (also its TMPDIR) that is removed afterwards,
and is never written back, so executing it leaves no files behind. As a last step the runner asks the kernel
for its sys.executable and fails if it is not this interpreter.
"""

import json
import os
import sys
import tempfile

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNEL = "ptspec-python"


def make_kernelspec(root):
    d = os.path.join(root, "kernels", KERNEL)
    os.makedirs(d)
    spec = {
        # -Xfrozen_modules=off: silences debugpy's warning about frozen modules.
        "argv": [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"ptspec ({sys.executable})",
        "language": "python",
    }
    with open(os.path.join(d, "kernel.json"), "w") as f:
        json.dump(spec, f)


def main(argv):
    save = None
    if len(argv) == 4 and argv[2] == "--save":
        save = argv[3]
    elif len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = argv[1]
    # The kernel runs in a temporary directory: make PYTHONPATH absolute.
    if os.environ.get("PYTHONPATH"):
        os.environ["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(p) for p in os.environ["PYTHONPATH"].split(os.pathsep) if p)
    nb = nbformat.read(path, as_version=4)
    probe = nbformat.v4.new_code_cell("import sys; print(sys.executable)")
    nb.cells.append(probe)
    with tempfile.TemporaryDirectory(prefix="ptspec-nb-") as tmp:
        make_kernelspec(os.path.join(tmp, "jupyter"))
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [os.path.join(tmp, "jupyter")] + [p for p in [os.environ.get("JUPYTER_PATH")] if p])
        workdir = os.path.join(tmp, "run")
        os.makedirs(workdir)
        # Whatever the notebook writes to tempfile.* goes away with `tmp` too.
        os.environ["TMPDIR"] = os.path.join(tmp, "tmp")
        os.makedirs(os.environ["TMPDIR"])
        client = NotebookClient(nb, timeout=240, kernel_name=KERNEL,
                                resources={"metadata": {"path": workdir}})
        try:
            client.execute()
        except CellExecutionError as e:
            print(f"{path}: cell failed:\n{e}", file=sys.stderr)
            return 1
    outputs = "".join(o.get("text", "") for o in probe.outputs if o.get("output_type") == "stream")
    kernel_python = outputs.strip()
    if os.path.realpath(kernel_python) != os.path.realpath(sys.executable):
        print(f"{path}: the kernel ran {kernel_python!r}, not {sys.executable!r}", file=sys.stderr)
        return 1
    if save:
        nb.cells.remove(probe)
        nbformat.write(nb, save)
    cells = sum(1 for c in nb.cells if c.cell_type == "code") - 1
    print(f"{path}: {cells} code cells ran without error (kernel {kernel_python})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
