import pytest

from bci.catalogue.marc.identifiers import (
    is_valid_ppn,
    normalise_isbn,
    normalise_issn,
    normalise_ppn,
    normalise_system_number,
    ppn_check_digit,
)


@pytest.mark.parametrize("ppn", ["148857612", "146674197", "381970876"])
def test_domain_examples_of_ppn_are_valid(ppn):
    assert is_valid_ppn(ppn)
    assert normalise_ppn(f"PPN {ppn}") == ppn


@pytest.mark.parametrize("ppn", ["148857613", "14885761", "1488576123", "14885761A", ""])
def test_wrong_check_digit_or_shape_is_not_a_ppn(ppn):
    assert not is_valid_ppn(ppn)
    assert normalise_ppn(ppn) is None


def test_ppn_check_digit_ten_is_written_x():
    # find eight digits whose check is 10: brute force the first few candidates
    candidates = (f"{n:08d}" for n in range(10_000_000, 10_100_000))
    first8 = next(c for c in candidates if ppn_check_digit(c) == "X")
    assert is_valid_ppn(first8 + "X") and is_valid_ppn(first8 + "x")
    assert not is_valid_ppn(first8 + "0")


def test_isbn10_becomes_isbn13_and_qualifiers_are_ignored():
    assert normalise_isbn("9062038050") == "9789062038053"
    assert normalise_isbn("90-6203-805-0 (geb.)") == "9789062038053"
    assert normalise_isbn("978-90-6203-805-3") == "9789062038053"


@pytest.mark.parametrize("bad", ["9062038051", "1.60rub", "", None, "12345", "978000000000"])
def test_invalid_isbn_is_kept_out_of_matching(bad):
    assert normalise_isbn(bad) is None


def test_issn():
    assert normalise_issn("0317-8471") == "0317-8471"
    assert normalise_issn("03178471 (print)") == "0317-8471"
    assert normalise_issn("0317-8472") is None


def test_system_numbers():
    assert normalise_system_number("(OCoLC)ocm10698981") == ("system", "(OCoLC)10698981")
    assert normalise_system_number("(OCoLC)10698981") == ("system", "(OCoLC)10698981")
    assert normalise_system_number("(PPN)148857612") == ("ppn", "148857612")
    assert normalise_system_number("(PPN)148857613") is None
    assert normalise_system_number("(NBD)A12345678") == ("nbd", "A12345678")
    assert normalise_system_number("(Sirsi) *") is None
    assert normalise_system_number("") is None
