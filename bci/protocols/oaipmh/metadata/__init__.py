"""Render catalogue records as MARCXML (with 852 holdings) and simple Dublin Core.

Shared by OAI-PMH and SRU. Pure functions over already-loaded data: the caller loads a
page of records, their items and identifiers in a few queries and passes them in.

Every string is cleaned of characters XML 1.0 cannot carry (C0 controls other than tab,
newline and carriage return, lone surrogates, U+FFFE/U+FFFF), so a record holding a stray
MARC delimiter or a control byte never breaks the document it is part of.

Modules: ``xml_text`` (cleaning and escaping, the Splicer that puts pre-serialised records
into a response document), ``marc`` (MARCXML with 852 holdings), ``dublin_core`` (simple
Dublin Core for OAI-PMH and SRU).
"""
