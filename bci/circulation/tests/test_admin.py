def test_loans_holds_and_fees_are_read_only_in_the_admin(admin_client, world):
    from bci.circulation.services import checkout_item

    loan = checkout_item(item_barcode="ITEM-A1", card_barcode=world.card, branch=world.net.a1)
    page = admin_client.get(f"/admin/circulation/loan/{loan.pk}/change/")
    assert page.status_code == 200 and 'name="due_date"' not in page.content.decode()
    assert admin_client.get("/admin/circulation/fee/add/").status_code == 403
    assert admin_client.get("/admin/circulation/hold/add/").status_code == 403


def test_the_admin_never_offers_the_pin_hash(admin_client, world):
    page = admin_client.get(f"/admin/patrons/patron/{world.patron.pk}/change/")
    assert page.status_code == 200 and "pin_hash" not in page.content.decode()
