"""The shape of a network CSV: its columns, the kinds a row may carry, the coordinates a
Dutch location may have, and the network the rows hang under."""

from ..models import Node

REQUIRED_COLUMNS = (
    "province",
    "poi",
    "organisation",
    "branch",
    "town",
    "lat",
    "lon",
    "kind",
    "confidence",
)
OPTIONAL_COLUMNS = ("code", "address", "postcode", "population", "organisation_code", "poi_code")

# The kinds a row may carry: the location kinds of the tree.
ROW_KINDS = tuple(Node.Kind.location_kinds())
# A hub whose poi is "national" hangs directly under the network (the IBL night hub).
NATIONAL = "national"

# Rows are Dutch locations: coordinates outside this box are typing errors (swapped lat/lon,
# a missing decimal point). Bonaire, Sint Eustatius and Saba would need a wider box.
NL_LATITUDE = (50.6, 53.7)
NL_LONGITUDE = (3.2, 7.3)

DEFAULT_NETWORK_CODE = "BCI"
DEFAULT_NETWORK_NAME = "BCI-diensten"
