"""Finding patients as the front desk types them: names whatever their accents and case
("helene" finds Hélène), phone numbers in any format ("06 30 63 66 10", "+33 6 30 63 66
10", "0630636610" or a part of one). Pure: no database."""

import re
import unicodedata

import phonenumbers

PHONE_LIKE = re.compile(r"\+?\d{4,}")
SEPARATORS = re.compile(r"[\s().\-/]")


def fold(text: str) -> str:
    """`text` without its case or accents, as names are compared: "Hélène" -> "helene"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def name_key(first_name: str, last_name: str) -> str:
    """What a patient's name is searched in (`Patient.search_name`)."""
    return fold(f"{first_name} {last_name}")


def phone_digits(text: str, region: str) -> str | None:
    """What to look for in stored numbers (E.164, "+33630636610"), or None when `text` is
    not a phone number. A whole number, in whatever format, gives its E.164 form, to match
    exactly; a part of one gives its digits, to find inside (a national number's leading 0,
    or an international call prefix 00, dropped: stored numbers have neither)."""
    compact = SEPARATORS.sub("", text)
    if not PHONE_LIKE.fullmatch(compact):
        return None
    try:
        number = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if compact.startswith("00"):
        return compact[2:]
    return compact.lstrip("+0") or None
