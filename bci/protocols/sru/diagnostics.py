"""SRU diagnostics (info:srw/diagnostic/1/N) as an exception."""


class Diagnostic(Exception):
    def __init__(self, number, details="", message=""):
        super().__init__(message or MESSAGES.get(number, "Error"))
        self.number = number
        self.details = str(details)
        self.message = message or MESSAGES.get(number, "Error")

    @property
    def uri(self):
        return f"info:srw/diagnostic/1/{self.number}"


MESSAGES = {
    1: "General system error",
    4: "Unsupported operation",
    5: "Unsupported version",
    6: "Unsupported parameter value",
    7: "Mandatory parameter not supplied",
    8: "Unsupported parameter",
    10: "Query syntax error",
    12: "Too many characters in query",
    13: "Invalid or unsupported use of parentheses",
    14: "Invalid or unsupported use of quotes",
    15: "Unsupported context set",
    16: "Unsupported index",
    19: "Unsupported relation",
    20: "Unsupported relation modifier",
    21: "Unsupported combination of relation modifers",
    22: "Unsupported combination of relation and index",
    23: "Too many characters in term",
    27: "Empty term unsupported",
    28: "Masking character not supported",
    29: "Masked words too short",
    31: "Anchoring character not supported",
    35: "Term contains only stopwords",
    36: "Term in invalid format for index or relation",
    38: "Too many boolean operators in query",
    39: "Proximity not supported",
    46: "Unsupported boolean modifier",
    61: "First record position out of range",
    66: "Unknown schema for retrieval",
    71: "Unsupported record packing",
    72: "XPath retrieval unsupported",
    80: "Sort not supported",
    83: "Too many records to sort",
    84: "Too many sort keys to sort",
    88: "Unsupported path for sort",
    90: "Unsupported direction",
    91: "Unsupported case",
    92: "Unsupported missing value action",
    110: "Stylesheets not supported",
}
