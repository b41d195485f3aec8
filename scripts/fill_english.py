"""Fill the English catalog: msgids are English, so every msgstr is its msgid.

Run by `make update-messages`; a complete catalog lets the i18n test tell a forgotten
translation from an intentional fallback.
"""

import sys

from babel.messages.pofile import read_po, write_po


def main(path: str) -> None:
    with open(path, "rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False)


if __name__ == "__main__":
    main(sys.argv[1])
