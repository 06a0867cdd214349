"""The MARCXML reader: expat fed in blocks, one RawRecord per <record>."""

from xml.parsers import expat

from pymarc import Field, Indicators, Leader, Record, Subfield

from .records import BLOCK, TAG, NotMarcError, RawRecord

MARCXML_NS = "http://www.loc.gov/MARC21/slim"
DEFAULT_LEADER = "00000nam a2200000 a 4500"


class _XmlState:
    def __init__(self, parser):
        self.parser = parser
        self.number = 0
        self.root_checked = False
        self.done = []  # finished RawRecords, handed out after each feed
        self.current = None
        self.text = []
        self.field = None
        self.sub_code = None
        self.ctrl_tag = None
        self.errors = []
        self.leader = None

    def start(self, name, attrs):
        local = name.rsplit(" ", 1)[-1]
        ns = name.rsplit(" ", 1)[0] if " " in name else ""
        if not self.root_checked:
            self.root_checked = True
            if local not in ("collection", "record") or ns not in ("", MARCXML_NS):
                raise NotMarcError(f"it is XML but not MARCXML (the root element is <{local}>)")
        if local == "record":
            self.number += 1
            self.current = []
            self.errors = []
            self.leader = None
            self.offset = self.parser.CurrentByteIndex
        elif self.current is None:
            return
        elif local in ("leader", "controlfield", "subfield"):
            self.text = []
            if local == "controlfield":
                self.ctrl_tag = attrs.get("tag")
            if local == "subfield":
                self.sub_code = attrs.get("code")
        elif local == "datafield":
            tag = attrs.get("tag")
            self.field = (tag, attrs.get("ind1", " ") or " ", attrs.get("ind2", " ") or " ", [])

    def chars(self, data):
        self.text.append(data)

    def end(self, name):
        local = name.rsplit(" ", 1)[-1]
        if self.current is None:
            return
        text = "".join(self.text)
        if local == "leader":
            self.leader = text
        elif local == "controlfield":
            tag = self.ctrl_tag
            if not tag or not TAG.match(tag):
                self.errors.append(f"controlfield without a valid tag ({tag!r})")
            else:
                self.current.append(Field(tag=tag, data=text))
        elif local == "subfield":
            code = self.sub_code
            if not code or len(code) != 1:
                self.errors.append(f"subfield without a valid code ({code!r})")
            elif self.field is not None:
                self.field[3].append(Subfield(code=code, value=text))
        elif local == "datafield":
            tag, ind1, ind2, subs = self.field
            self.field = None
            if not tag or not TAG.match(tag):
                self.errors.append(f"datafield without a valid tag ({tag!r})")
            elif not subs:
                self.errors.append(f"datafield {tag} has no subfields")
            else:
                self.current.append(
                    Field(tag=tag, indicators=Indicators(ind1[:1], ind2[:1]), subfields=subs)
                )
        elif local == "record":
            self.done.append(self._finish())
            self.current = None
        self.text = []

    def _finish(self):
        if self.errors:
            return RawRecord(self.number, self.offset, error="; ".join(self.errors[:3]))
        if not self.current:
            return RawRecord(self.number, self.offset, error="record has no fields")
        leader = (self.leader or "").strip("\n")
        warning = ""
        if len(leader) != 24:
            warning = "missing or malformed leader replaced by a default"
            leader = DEFAULT_LEADER
        record = Record(leader=leader[:9] + "a" + leader[10:], force_utf8=True)
        record.leader = Leader(leader[:9] + "a" + leader[10:])
        record.fields = self.current
        return RawRecord(self.number, self.offset, record=record, warning=warning)


def read_marcxml(head, handle, skip):
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    state = _XmlState(parser)
    parser.StartElementHandler = state.start
    parser.EndElementHandler = state.end
    parser.CharacterDataHandler = state.chars
    block = head
    final = False
    while True:
        if not block:
            final = True
        try:
            parser.Parse(block, final)
        except expat.ExpatError as exc:
            if not state.root_checked:
                raise NotMarcError(f"it is not well-formed XML ({exc})") from None
            yield from (r for r in state.done if r.number > skip)
            state.done = []
            yield RawRecord(
                state.number + (1 if state.current is None else 0),
                parser.ErrorByteIndex,
                error=f"XML is not well-formed ({expat.ErrorString(exc.code)} at line "
                f"{exc.lineno}); the rest of the file cannot be read",
            )
            return
        for raw in state.done:
            if raw.number > skip:
                yield raw
        state.done = []
        if final:
            if not state.root_checked:
                raise NotMarcError("it is empty")
            return
        block = handle.read(BLOCK // 4)
