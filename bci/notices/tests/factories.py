"""A small portal world: two patrons of library A with PINs and e-mail, titles with copies,
loans. Used by the notices tests and the OPAC account tests."""

from types import SimpleNamespace

from bci.circulation.services import checkout_item
from bci.circulation.tests.factories import make_item, make_record
from bci.patrons.services import set_pin
from bci.patrons.tests.factories import card_of, make_patron

PIN = "1234"
OTHER_PIN = "5678"


def portal_world(net):
    anna = make_patron(net.lib_a, first_name="Anna", last_name="Jansen", email="anna@example.org")
    bert = make_patron(net.lib_a, first_name="Bert", last_name="Smit", email="bert@example.org")
    set_pin(patron=anna, pin=PIN)
    set_pin(patron=bert, pin=OTHER_PIN)
    avonden = make_record("De avonden")
    item1 = make_item(avonden, net.a1, barcode="AV-1")
    kast = make_record("Het verboden rijk")
    item2 = make_item(kast, net.a1, barcode="VR-1")
    wachtwoord = make_record("Max Havelaar")
    item3 = make_item(wachtwoord, net.a1, barcode="MH-1")
    spare = make_record("Titaantjes")
    item4 = make_item(spare, net.a2, barcode="TI-1")
    loan_a = checkout_item(item_barcode="AV-1", card_barcode=card_of(anna), branch=net.a1)
    loan_b = checkout_item(item_barcode="VR-1", card_barcode=card_of(bert), branch=net.a1)
    return SimpleNamespace(
        net=net,
        anna=anna,
        bert=bert,
        anna_card=card_of(anna),
        bert_card=card_of(bert),
        avonden=avonden,
        kast=kast,
        havelaar=wachtwoord,
        titaantjes=spare,
        items=[item1, item2, item3, item4],
        loan_a=loan_a,
        loan_b=loan_b,
    )
