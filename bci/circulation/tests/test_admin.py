import pytest

from bci.circulation.models import LoanRule
from bci.circulation.services import checkout_item, place_hold
from bci.patrons.tests.factories import make_patron

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/admin/circulation/loanrule/",
        "/admin/circulation/loan/",
        "/admin/circulation/hold/",
        "/admin/circulation/fee/",
        "/admin/patrons/patron/",
        "/admin/patrons/patroncategory/",
        "/admin/logistics/transit/",
    ],
)
def test_admin_lists_render(client, world, make_staff, path):
    LoanRule.objects.create(node=world.net.lib_a, loan_period_days=28)
    checkout_item(item_barcode=world.item.barcode, card_barcode=world.card, branch=world.net.a1)
    place_hold(record=world.record, patron=make_patron(world.net.lib_a), pickup_branch=world.net.a1)
    client.force_login(make_staff(is_superuser=True, is_staff=True))
    assert client.get(path).status_code == 200
