"""The ``bci`` console script: Django's management commands under one name.

``bci --help`` lists every command; ``bci demo`` sets up and serves the demo.
"""

import os
import sys
from pathlib import Path


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    root = Path(__file__).resolve().parents[2]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    if not argv or argv[0] in ("-h", "--help"):
        argv = ["help", *argv[1:]]
    # Commands are spelled with hyphens (bci seed-demo); Django names them with underscores.
    for i in (0, 1) if argv[0] == "help" else (0,):
        if i < len(argv) and not argv[i].startswith("-"):
            argv[i] = argv[i].replace("-", "_")
    execute_from_command_line(["bci", *argv])


if __name__ == "__main__":
    main()
