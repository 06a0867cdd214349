"""SIP2 over a real socket: kiosk sessions (plain, checksummed, TLS), bad clients."""

import logging
import os
import socket
import ssl
import time

import pytest

from bci.circulation.models import Fee, Loan
from bci.circulation.services import charge_fee
from bci.protocols.sip2.client import Sip2Client, client_tls_context
from bci.protocols.sip2.messages.codec import encode, parse, verify_checksum
from bci.protocols.sip2.server import Limits, Sip2Service, tls_context
from bci.protocols.tests.sip2_world import PASSWORD, PIN, kiosk_world, req, self_signed_cert

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def w(net):
    return kiosk_world(net)


def start(limits=None, ssl_context=None):
    service = Sip2Service(
        host="127.0.0.1", port=0, limits=limits or Limits(), ssl_context=ssl_context, workers=4
    )
    service.start()
    return service


@pytest.fixture
def server(w):
    service = start(Limits(idle_timeout=5, malformed_budget=3))
    yield service
    service.stop()


def kiosk(service, **kw):
    return Sip2Client("127.0.0.1", service.port, timeout=5, **kw)


def scripted_session(client, w):
    """The scripted kiosk session of the issue: login, status, patron, checkout, checkin,
    renew, fee paid, end session."""
    assert client.login("kiosk-a1", PASSWORD, "A-1")
    status = client.sc_status()
    assert status.code == "98" and status.get("BX") == "Y" * 16
    patron = client.send(req("63", [("AO", "LIB-A"), ("AA", w.card), ("AD", PIN)]))
    assert patron.code == "64" and patron.get("BL") == "Y" and patron.get("CQ") == "Y"
    out = client.send(req("11", [("AA", w.card), ("AB", "ITEM-1"), ("AD", PIN)]))
    assert out.code == "12" and out["ok"] == "1", out.get("AF")
    back = client.send(req("09", [("AP", "A-1"), ("AB", "ITEM-1")]))
    assert back.code == "10" and back["ok"] == "1"
    out = client.send(req("11", [("AA", w.card), ("AB", "ITEM-2"), ("AD", PIN)]))
    assert out["ok"] == "1"
    renewed = client.send(req("29", [("AA", w.card), ("AB", "ITEM-2"), ("AD", PIN)]))
    assert renewed.code == "30" and renewed["ok"] == "1", renewed.get("AF")
    paid = client.send(req("37", [("BV", "1.50"), ("AA", w.card), ("AD", PIN)]))
    assert paid.code == "38" and paid["payment_accepted"] == "Y", paid.get("AF")
    bye = client.send(req("35", [("AA", w.card)]))
    assert bye.code == "36" and bye["end_session"] == "Y"


@pytest.mark.parametrize("checksums", [False, True])
def test_scripted_kiosk_session(w, server, checksums):
    charge_fee(patron=w.patron, amount="1.50")
    with kiosk(server, error_detection=checksums) as client:
        scripted_session(client, w)
    assert Loan.objects.filter(item__barcode="ITEM-1", ended_at__isnull=False).exists()
    assert Loan.objects.get(item__barcode="ITEM-2", ended_at__isnull=True).renewals == 1
    assert not Fee.objects.filter(settled_at__isnull=True).exists()


def test_responses_carry_sequence_and_checksum_when_the_kiosk_uses_them(w, server):
    with kiosk(server) as client:
        client.send_raw(encode(req("99"), error_detection=True, sequence=5))
        raw = client.read_raw()
        assert raw[-10:-5] == b"AY5AZ" and verify_checksum(raw[:-1])
        client.send_raw(encode(req("99")))  # without: the answer has none either
        raw = client.read_raw()
        assert b"AY" not in raw[-12:] and parse(raw).code == "98"


def test_tls_kiosk_session(w, tmp_path):
    cert, key = self_signed_cert(tmp_path)
    service = start(ssl_context=tls_context(cert, key))
    try:
        charge_fee(patron=w.patron, amount="1.50")
        with kiosk(service, ssl_context=client_tls_context(cert), error_detection=True) as c:
            assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
            scripted_session(c, w)
        # a plain-text client gets nowhere and does not hurt the server
        with socket.create_connection(("127.0.0.1", service.port), timeout=5) as raw:
            raw.sendall(encode(req("99")))
            try:
                assert not raw.recv(100).startswith(b"98")
            except (ConnectionError, TimeoutError, OSError):
                pass
        with kiosk(service, ssl_context=client_tls_context(cert)) as c:
            assert c.sc_status().code == "98"
    finally:
        service.stop()


def test_bad_checksum_gets_a_checksummed_resend_request_then_97_resends(w, server):
    with kiosk(server) as client:
        good = encode(req("99"), error_detection=True, sequence=1)
        client.send_raw(good[:-6] + b"0000\r")  # wrong checksum
        assert client.read_raw() == b"96AZFEF6\r"
        client.send_raw(b"97\r")  # nothing sent yet worth resending: 96 again
        assert client.read_raw().startswith(b"96")
        first = client.send(req("99"))
        client.send_raw(b"97\r")
        assert parse(client.read_raw()) == first


def test_unknown_message_type_gets_a_refusal_not_a_hang_up(w, server):
    with kiosk(server) as client:
        client.send_raw(b"42hello\r")
        assert client.read_raw() == b"96\r"
        assert client.sc_status().code == "98"  # still served


def test_crlf_and_lf_terminators(w, server):
    with kiosk(server) as client:
        client.send_raw(encode(req("99"))[:-1] + b"\r\n")
        assert parse(client.read_raw()).code == "98"
        client.send_raw(encode(req("99"))[:-1] + b"\n")
        assert parse(client.read_raw()).code == "98"
        # two messages in one packet
        client.send_raw(encode(req("99")) + encode(req("99")))
        assert parse(client.read_raw()).code == "98"
        assert parse(client.read_raw()).code == "98"


def test_garbage_client_is_cut_off_and_others_are_served(w, server):
    bad = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    good = kiosk(server).connect()
    try:
        assert good.login("kiosk-a1", PASSWORD)
        for _ in range(3):
            bad.sendall(os.urandom(200).replace(b"\r", b"x").replace(b"\n", b"y") + b"\r")
            assert good.sc_status().code == "98"
        bad.sendall(b"\x00\xff garbage\r")  # the 4th malformed message: over the budget
        data = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            chunk = bad.recv(4096)
            if not chunk:
                break
            data += chunk
        assert data.count(b"96") == 3  # three resend requests, then the door
        assert good.send(req("23", [("AA", w.card)])).get("BL") == "Y"
    finally:
        bad.close()
        good.close()


def test_oversized_message_is_refused_without_hurting_the_connection(w):
    service = start(Limits(max_message=512, malformed_budget=3))
    try:
        with kiosk(service) as client:
            client.send_raw(b"99" + b"x" * 5000)  # no terminator yet
            client.send_raw(b"more\r")
            assert client.read_raw() == b"96\r"
            assert client.sc_status().code == "98"
    finally:
        service.stop()


def test_idle_connection_is_closed(w):
    service = start(Limits(idle_timeout=0.3))
    try:
        with kiosk(service) as client:
            assert client.sc_status().code == "98"
            time.sleep(0.8)
            with pytest.raises((ConnectionError, OSError)):
                client.sc_status()
                client.sc_status()
    finally:
        service.stop()


def test_repeated_failed_logins_close_the_connection(w, server):
    with kiosk(server) as client:
        assert not client.login("kiosk-a1", "wrong-1")
        assert not client.login("kiosk-a1", "wrong-2")
        assert not client.login("kiosk-a1", "wrong-3")
        with pytest.raises((ConnectionError, OSError)):
            client.sc_status()


def test_no_password_or_pin_in_the_logs(w, server, caplog):
    caplog.set_level(logging.DEBUG, logger="bci.sip2")
    with kiosk(server) as client:
        client.login("kiosk-a1", PASSWORD)
        client.login("kiosk-a1", "Wrong-Secret-77")
        client.send_raw(b"23005junk|AD" + PIN.encode() + b"|COtopsecret|\r")  # malformed
        client.read_raw()
        client.send(req("23", [("AA", w.card), ("AD", "8642")]))
    text = caplog.text
    assert "23" in text  # something was logged
    for secret in (PASSWORD, "Wrong-Secret-77", "topsecret", "8642", f"AD{PIN}"):
        assert secret not in text


def test_many_idle_connections_and_one_busy_kiosk(w, server):
    sockets = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(200)]
    try:
        with kiosk(server) as client:
            assert client.login("kiosk-a1", PASSWORD)
            assert client.send(req("17", [("AB", "ITEM-1")])).code == "18"
    finally:
        for s in sockets:
            s.close()


def test_tls_handshake_garbage_does_not_block_the_server(w, tmp_path):
    cert, key = self_signed_cert(tmp_path)
    service = start(ssl_context=tls_context(cert, key))
    try:
        junk = socket.create_connection(("127.0.0.1", service.port), timeout=5)
        junk.sendall(b"\x16\x03\x01garbage-not-a-client-hello" * 10)
        with kiosk(service, ssl_context=client_tls_context(cert)) as c:
            assert c.sc_status().code == "98"
        junk.close()
    finally:
        service.stop()


def test_bad_tls_files_give_a_clear_error(tmp_path):
    (tmp_path / "x.pem").write_text("not a certificate")
    with pytest.raises((ssl.SSLError, OSError)):
        tls_context(tmp_path / "x.pem", tmp_path / "x.pem")
