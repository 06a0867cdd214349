"""Coverage-guided fuzzing of the SIP2 parser with atheris (libFuzzer).

    uv run python -m bci.protocols.sip2.fuzz -atheris_runs=200000 [corpus_dir]

The property: ``parse`` raises nothing but ParseError, and whatever it accepts survives
``encode`` -> ``parse`` unchanged. A crash prints the input and exits non-zero.
"""

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from bci.protocols.sip2.messages.codec import ParseError, encode, parse

_PLAIN = [
    b"9300CNkiosk|COsecret|CPA-1|",
    b"9900802.00",
    b"2300520261128    143000AOx|AAp|ADpin|",
    b"6300520261128    143000  Y       AOx|AAp|BP1|BQ5|",
    b"11YN20261128    143000" + b" " * 18 + b"AOx|AAp|ABi|",
    b"09N20261128    143000" + b" " * 18 + b"APx|AOx|ABi|",
    b"37" + b"20261128    143000" + b"0100EURBV1.50|AOx|AAp|",
    b"96",
]
SEEDS = _PLAIN + [
    encode(parse(body), error_detection=True, sequence=i % 10) for i, body in enumerate(_PLAIN)
]


def one_input(data: bytes):
    try:
        msg = parse(data)
    except ParseError:
        return
    again = parse(encode(msg, error_detection=msg.checksummed, sequence=msg.sequence))
    assert again.code == msg.code, (msg, again)
    assert dict(again.fixed) == dict(msg.fixed), (msg, again)
    assert again.fields == msg.fields, (msg, again)


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    if not [a for a in argv[1:] if not a.startswith("-")]:
        # no corpus directory given: start from the seed messages in a temporary one
        corpus = Path(tempfile.mkdtemp(prefix="sip2-fuzz-"))
        for i, seed in enumerate(SEEDS):
            (corpus / f"seed{i}").write_bytes(seed)
        argv.append(str(corpus))
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
