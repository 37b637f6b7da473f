#!/usr/bin/env bash
# Prints a Python 3.13+ interpreter (the project pins 3.13): on PATH first, then pyenv.
set -u
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 13))' >/dev/null 2>&1; }
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for candidate in python3.13 "$root"/versions/3.13*/bin/python3 python3; do
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if ok "$path"; then "$path" -c "import sys; print(sys.executable)"; exit 0; fi
done
echo "No Python 3.13 found (the project pins it): install it, e.g. 'pyenv install 3.13'." >&2
exit 1
