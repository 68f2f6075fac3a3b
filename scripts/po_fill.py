"""Fill Vietnamese translations into a feature's catalogue.

    python scripts/po_fill.py campaign/<feature>/translations/vi/LC_MESSAGES/messages.po < vi.json

vi.json maps English msgids to Vietnamese text. Existing translations are kept unless the JSON
gives a new one. Prints the msgids that are still untranslated.
"""

import json
import sys

from babel.messages.pofile import read_po, write_po


def main(path: str) -> int:
    table = json.load(sys.stdin)
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale="vi")
    for message in catalog:
        if message.id and message.id in table:
            message.string = table[message.id]
            message.flags.discard("fuzzy")
    with open(path, "wb") as fh:
        write_po(fh, catalog, sort_output=True, omit_header=False)  # the width pybabel uses
    missing = [m.id for m in catalog if m.id and not m.string]
    for mid in missing:
        print("untranslated:", mid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
