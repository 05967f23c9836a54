# The Python the module is built for and the Python tests run with:
# Debian's /usr/bin/python3 (DESIGN.md). A pyenv/venv python3 first on PATH
# would otherwise be found and the module would not import under
# /usr/bin/python3; -DPython_EXECUTABLE=... (or the legacy
# -DPYTHON_EXECUTABLE=...) still overrides. Included once by the top level,
# before tests/python and bindings/ are configured.
if(NOT Python_EXECUTABLE)
  if(PYTHON_EXECUTABLE)
    set(Python_EXECUTABLE ${PYTHON_EXECUTABLE} CACHE FILEPATH "Python for the ptspec module")
  elseif(EXISTS /usr/bin/python3)
    set(Python_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "Python for the ptspec module")
  endif()
endif()
