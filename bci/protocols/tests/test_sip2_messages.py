"""SIP2 pure layer: every message type round trip, checksums, and fuzzing of the parser."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bci.protocols.sip2.messages.codec import (
    FormatError,
    ParseError,
    checksum,
    encode,
    make,
    parse,
    verify_checksum,
)
from bci.protocols.sip2.messages.dates import format_date, parse_date
from bci.protocols.sip2.messages.fields import FIELD_NAMES, clean
from bci.protocols.sip2.messages.redaction import redact
from bci.protocols.sip2.messages.specs import (
    REQUEST_CODES,
    SPECS,
    SUPPORTED_MESSAGES_ORDER,
    supported_messages,
)

D = "20261128    143000"

# One valid example of the fixed fields of every message type.
FIXED = {
    "93": {"uid_algorithm": "0", "pwd_algorithm": "0"},
    "99": {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"},
    "97": {},
    "23": {"language": "005", "transaction_date": D},
    "63": {"language": "005", "transaction_date": D, "summary": "  Y       "},
    "11": {"sc_renewal_policy": "Y", "no_block": "N", "transaction_date": D,
           "nb_due_date": " " * 18},
    "09": {"no_block": "N", "transaction_date": D, "return_date": D},
    "29": {"third_party_allowed": "N", "no_block": "N", "transaction_date": D,
           "nb_due_date": " " * 18},
    "65": {"transaction_date": D},
    "17": {"transaction_date": D},
    "35": {"transaction_date": D},
    "37": {"transaction_date": D, "fee_type": "04", "payment_type": "00",
           "currency_type": "EUR"},
    "15": {"hold_mode": "+", "transaction_date": D},
    "19": {"transaction_date": D},
    "25": {"transaction_date": D},
    "01": {"card_retained": "N", "transaction_date": D},
    "94": {"ok": "1"},
    "96": {},
    "98": {"online_status": "Y", "checkin_ok": "Y", "checkout_ok": "Y",
           "acs_renewal_policy": "Y", "status_update_ok": "N", "offline_ok": "N",
           "timeout_period": "030", "retries_allowed": "003", "date_time_sync": D,
           "protocol_version": "2.00"},
    "24": {"patron_status": " " * 14, "language": "005", "transaction_date": D},
    "64": {"patron_status": "Y" + " " * 13, "language": "005", "transaction_date": D,
           "hold_items_count": "0001", "overdue_items_count": "0000",
           "charged_items_count": "0002", "fine_items_count": "0000",
           "recall_items_count": "    ", "unavailable_holds_count": "0000"},
    "12": {"ok": "1", "renewal_ok": "N", "magnetic_media": "U", "desensitize": "Y",
           "transaction_date": D},
    "10": {"ok": "1", "resensitize": "Y", "magnetic_media": "U", "alert": "Y",
           "transaction_date": D},
    "30": {"ok": "0", "renewal_ok": "N", "magnetic_media": "N", "desensitize": "N",
           "transaction_date": D},
    "66": {"ok": "1", "renewed_count": "0002", "unrenewed_count": "0001",
           "transaction_date": D},
    "18": {"circulation_status": "03", "security_marker": "02", "fee_type": "01",
           "transaction_date": D},
    "36": {"end_session": "Y", "transaction_date": D},
    "38": {"payment_accepted": "Y", "transaction_date": D},
    "16": {"ok": "1", "available": "N", "transaction_date": D},
    "20": {"item_properties_ok": "1", "transaction_date": D},
    "26": {"patron_status": " " * 14, "language": "000", "transaction_date": D},
}  # fmt: skip


def example_fields(code):
    return [(fid, f"v-{fid}-é") for fid in SPECS[code].fields]


def test_every_message_type_has_an_example():
    assert set(FIXED) == set(SPECS)
    requests = {"93", "99", "97", "23", "63", "11", "09", "29", "65", "17", "35", "37",
                "15", "19", "25", "01"}  # fmt: skip
    assert requests <= set(REQUEST_CODES)


@pytest.mark.parametrize("code", sorted(FIXED))
@pytest.mark.parametrize("error_detection", [False, True])
def test_round_trip_every_message_type(code, error_detection):
    msg = make(code, FIXED[code], example_fields(code))
    data = encode(msg, error_detection=error_detection, sequence=7 if error_detection else None)
    assert data.endswith(b"\r")
    back = parse(data)
    assert back.code == code
    assert dict(back.fixed) == FIXED[code]
    assert back.fields == msg.fields
    assert back.sequence == (7 if error_detection else None)
    assert back.checksummed == error_detection


def test_tolerates_crlf_lf_and_missing_terminator():
    base = b"9900802.00"
    for data in (base + b"\r", base + b"\r\n", base + b"\n", base, b"\n" + base + b"\r"):
        assert parse(data).fixed["protocol_version"] == "2.00"


def test_login_fields_and_repeatable_fields():
    msg = parse(b"9300CNkiosk1|COsecret|CPA-1|\r")
    assert msg.get("CN") == "kiosk1" and msg.get("CO") == "secret" and msg.get("CP") == "A-1"
    resp = parse(b"64" + b" " * 14 + b"005" + D.encode() + b"0000" * 6
                 + b"AOx|AAp|AUitem1|AUitem2|AFone|AFtwo|")  # fmt: skip
    assert resp.get_all("AU") == ["item1", "item2"]
    assert resp.get_all("AF") == ["one", "two"]
    assert resp.get("ZZ") is None


def test_last_field_without_delimiter_and_empty_fields_tolerated():
    msg = parse(b"17" + D.encode() + b"AOinst||ABbarcode")
    assert msg.get("AB") == "barcode"


# --- checksums: known good examples ----------------------------------------------------------

# Messages captured from production servers (SirsiDynix, TLC) and checksums from Evergreen's
# SIPServer test-suite (t/0001_checksum.t), ASCII examples only.
REAL_WITH_CHECKSUM = [
    b"98YYYYYN60000320130424    1135112.00AOEPLMNA|AMEPLMNA|BXYYYYYYYYYYYNNYYY|ANSIPCHK|AY1AZE80C",
    b"98YYYYNN01000320130808    1509002.00AOst|AMSt. Albert Public Library|"
    b"BXYYYYYYYYYYYYYYYY|ANUnassigned|VNSIP 2.00.106 SirsiDynix Inc. 7.5.074.40|AY1AZD3FA",
    b"64YYYY          00020171031    092000000000000000000000000000AOhq|AA2642|AE|BLN|"
    b"AF#Unknown borrower barcode - please refer to the circulation desk.|AY1AZD46E",
]


@pytest.mark.parametrize("data", REAL_WITH_CHECKSUM)
def test_real_server_messages_verify_and_parse(data):
    assert verify_checksum(data)
    msg = parse(data + b"\r")
    assert msg.sequence == 1 and msg.checksummed


@pytest.mark.parametrize(
    "expected,prefix",
    [
        ("FDFD", b"941AY0AZ"),
        ("FEF6", b"96AZ"),
        (
            "DB4E",
            b"1804020120110630    110249AB30007008637257|AJVie d'Isabelle Eberhardt |CK001|"
            b"AQOSUL|APOSUL|BGOSUL|AH2011-10-28 23:59:59|CSPB LP   EAU|AY6AZ",
        ),
    ],
)
def test_checksum_known_values(expected, prefix):
    assert checksum(prefix) == expected
    assert verify_checksum(prefix + expected.encode())


def test_checksum_over_utf8_bytes_of_non_ascii_values():
    msg = make("36", {"end_session": "Y", "transaction_date": D}, [("AF", "Tot ziens, Zoë")])
    data = encode(msg, error_detection=True, sequence=3)
    body = data[:-5]  # without checksum and CR
    assert data[-5:-1].decode() == f"{(-sum(body)) & 0xFFFF:04X}"
    assert parse(data).get("AF") == "Tot ziens, Zoë"


def test_wrong_checksum_is_a_parse_error():
    with pytest.raises(ParseError) as err:
        parse(REAL_WITH_CHECKSUM[0][:-1] + b"D")
    assert err.value.kind == "checksum"
    with pytest.raises(ParseError):
        parse(b"9900802.00AY1AZXYZW")
    with pytest.raises(ParseError):
        parse(b"9900802.00AYxAZ1234")


def test_checksum_without_sequence_number():
    msg = parse(b"96AZFEF6\r")
    assert msg.code == "96" and msg.checksummed and msg.sequence is None
    assert encode(make("96"), error_detection=True) == b"96AZFEF6\r"


# --- refusals with a reason ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,kind",
    [
        (b"", "empty"),
        (b"\r\n", "empty"),
        (b"X1abc", "malformed"),
        (b"42" + D.encode(), "unknown_message"),
        (b"99", "fixed_field"),  # truncated
        (b"99X00802.00", "fixed_field"),
        (b"9900802.0", "fixed_field"),
        (b"23005" + b"20261332    143000" + b"AOx|AAp|", "fixed_field"),  # month 13
        (b"23005" + b"20261128    256000" + b"AOx|AAp|", "fixed_field"),  # hour 25
        (b"23005" + b"2026112x    143000" + b"AOx|", "fixed_field"),
        (b"11YN" + D.encode() + b"bad date here!!!!!AOx|", "fixed_field"),
        (b"15?" + D.encode() + b"AOx|", "fixed_field"),
        (b"93|AY0AZF27\x00\x00\x07", "fixed_field"),  # found by atheris: | as a fixed field
        (b"23005" + D.encode() + b"AO" + b"x" * 256 + b"|", "variable_field"),
        (b"23005" + D.encode() + b"ao lower|", "variable_field"),
        (b"23005" + D.encode() + b"AOx|AA\xff\xfe|", "encoding"),
        (b"23005" + D.encode() + b"AOx|AY1|AAp|", "checksum"),
        (b"9" * 5000, "too_long"),
    ],
)
def test_bad_input_gives_parse_error_with_reason(data, kind):
    with pytest.raises(ParseError) as err:
        parse(data)
    assert err.value.kind == kind
    assert err.value.reason


def test_blank_due_dates_accepted_where_the_spec_allows():
    msg = parse(b"09N" + D.encode() + b" " * 18 + b"ABitem|")
    assert msg.fixed["return_date"] == " " * 18
    with pytest.raises(ParseError):
        parse(b"09N" + b" " * 18 + D.encode() + b"ABitem|")  # transaction date required


def test_control_characters_and_delimiters_are_sanitised_on_output():
    msg = make("94", {"ok": "1"}, [("AF", "a|b\x00c\x1bd\x7fe\r\nf")])
    assert msg.get("AF") == "a/bcdef"
    assert encode(msg) == b"941AFa/bcdef|\r"
    assert len(clean("x" * 1000)) == 255


def test_control_characters_dropped_from_received_values():
    assert parse(b"17" + D.encode() + b"ABit\x01em|").get("AB") == "item"


def test_make_refuses_invalid_fixed_fields():
    with pytest.raises(FormatError):
        make("94", {"ok": "Y"})
    with pytest.raises(FormatError):
        make("94", {})
    with pytest.raises(FormatError):
        make("94", {"ok": "1", "extra": "x"})


def test_dates():
    assert format_date(dt.datetime(2026, 11, 28, 9, 5, 7)) == "20261128    090507"
    assert format_date(dt.date(2026, 12, 19)) == "20261219    235959"
    assert format_date(None) == " " * 18
    assert parse_date("20261128    090507") == dt.datetime(2026, 11, 28, 9, 5, 7)
    assert parse_date("20261128   Z090507") == dt.datetime(2026, 11, 28, 9, 5, 7)
    assert parse_date("20260230    090507") is None
    assert parse_date("2026113    0090507") is None


def test_supported_messages_field():
    assert supported_messages(SUPPORTED_MESSAGES_ORDER) == "Y" * 16
    assert supported_messages(["23", "65"]) == "Y" + "N" * 14 + "Y"


def test_redact_hides_passwords_and_login():
    line = redact(b"9300CNkiosk1|COgeheim|CPA-1|\r")
    assert "geheim" not in line and "kiosk1" not in line and "CPA-1" in line
    line = redact(b"23005" + D.encode() + b"AOx|AA123|AC term-pw|AD1234|")
    assert "1234|" not in line and "term-pw" not in line and "AA123" in line
    assert redact(b"\xff\x00abc").startswith("\ufffd\\x00")


# --- fuzzing ---------------------------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_parse_error(data):
    try:
        msg = parse(data)
    except ParseError as exc:
        assert exc.reason
        return None
    assert msg.code in SPECS
    return msg


@FUZZ
@given(st.binary(max_size=600))
def test_fuzz_random_bytes_only_parse_error(data):
    _only_parse_error(data)


@FUZZ
@given(st.sampled_from(sorted(SPECS)), st.binary(max_size=300))
def test_fuzz_valid_code_with_random_tail(code, tail):
    _only_parse_error(code.encode() + tail)


field_value = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40
)  # any text, incl. | and controls: make() must clean it


@st.composite
def valid_messages(draw):
    code = draw(st.sampled_from(sorted(SPECS)))
    fids = draw(st.lists(st.sampled_from(sorted(set(FIELD_NAMES) - {"AY", "AZ"})), max_size=6))
    fields = [(fid, draw(field_value)) for fid in fids]
    return make(code, FIXED[code], fields)


@FUZZ
@given(valid_messages(), st.booleans(), st.integers(0, 9))
def test_fuzz_round_trip(msg, ed, seq):
    data = encode(msg, error_detection=ed, sequence=seq if ed else None)
    back = parse(data)
    assert back.code == msg.code and dict(back.fixed) == dict(msg.fixed)
    assert back.fields == msg.fields


@FUZZ
@given(valid_messages(), st.booleans(), st.data())
def test_fuzz_truncations_only_parse_error(msg, ed, data):
    raw = encode(msg, error_detection=ed, sequence=1 if ed else None)
    cut = data.draw(st.integers(0, len(raw)))
    _only_parse_error(raw[:cut])


@FUZZ
@given(valid_messages(), st.data())
def test_fuzz_corrupted_checksummed_message_is_refused(msg, data):
    raw = bytearray(encode(msg, error_detection=True, sequence=4)[:-1])
    i = data.draw(st.integers(0, len(raw) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[i]))
    raw[i] = new
    # Any single-byte change breaks the sum; the parser must refuse or, if the change
    # destroyed the trailer itself, still raise nothing but ParseError.
    try:
        parsed = parse(bytes(raw))
    except ParseError:
        return
    assert not parsed.checksummed


@FUZZ
@given(valid_messages(), st.integers(256, 2000))
def test_fuzz_oversized_fields_refused(msg, size):
    raw = encode(msg)[:-1] + b"AF" + b"x" * size + b"|"
    with pytest.raises(ParseError):
        parse(raw, max_length=10_000)


@FUZZ
@given(st.text(alphabet="0123456789 ZAB", min_size=18, max_size=18))
def test_fuzz_dates(value):
    parsed = parse_date(value)
    data = b"17" + value.encode() + b"ABx|"
    if parsed is None:
        with pytest.raises(ParseError):
            parse(data)
    else:
        assert parse(data).fixed["transaction_date"] == value


@FUZZ
@given(valid_messages(), st.binary(min_size=1, max_size=4).filter(lambda b: b[0] >= 0x80))
def test_fuzz_invalid_utf8(msg, junk):
    raw = encode(msg)[:-1] + b"AF" + junk + b"\xff|"
    with pytest.raises(ParseError) as err:
        parse(raw)
    assert err.value.kind in ("encoding", "checksum")


def test_coverage_guided_fuzz_run_with_atheris():
    """A short libFuzzer run over the parser (the long run: see docs/protocols/sip2.md)."""
    import subprocess
    import sys

    pytest.importorskip("atheris")
    result = subprocess.run(
        [sys.executable, "-m", "bci.protocols.sip2.fuzz", "-atheris_runs=20000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Done 20000" in result.stderr


def test_ay_az_inside_the_last_value_is_not_a_trailer():
    """Found by atheris: "AY?AZ" in the last field's value looked like error detection."""
    data = b"11YN" + D.encode() + b" " * 18 + b"AOx|AA  AYwAZ\r Bi|"
    msg = parse(data)
    assert msg.get("AA") == "  AYwAZ Bi" and not msg.checksummed
    assert parse(encode(msg)).fields == msg.fields
    assert parse(encode(msg, error_detection=True, sequence=2)).fields == msg.fields
