import subprocess
import sys


def _bci(*args):
    return subprocess.run(
        [sys.executable, "-m", "bci.core.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_the_commands():
    out = _bci("--help").stdout
    for name in ("seed_demo", "import_network", "network", "serve", "demo"):
        assert name in out


def test_commands_are_spelled_with_hyphens():
    spelled = _bci("help", "seed-demo")
    assert spelled.returncode == 0, spelled.stderr
    assert "seed" in spelled.stdout.lower()
    assert _bci("import-network", "--help").returncode == 0


def test_an_unknown_command_is_refused_clearly():
    result = _bci("no-such-command")
    assert result.returncode != 0
    assert "Unknown command" in result.stderr
