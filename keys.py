"""The keys under which text is compared: one function per key, used both where a key is
stored and where it is looked up, so the two can never disagree.

Pure functions below models and forms (both import from here). Folding is done in Python
because SQLite's lower() folds only ASCII.
"""

import re
import unicodedata

COMPANY_KEY_MAX = 200  # the customers.company_key column; NFKD can lengthen a name


def _fold(text: str) -> str:
    # NFKC on both sides of casefold: folding can leave decomposed text ("ǰ" folds to "ǰ"
    # plus a combining caron), which NFKC composes again.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def email_key(email: str) -> str:
    """What makes two emails one address: "ÉLODIE@x.com", "élodie@x.com" and
    "e\u0301lodie@x.com" share a key (staff logins, portal logins, a customer's users)."""
    return _fold(email)


def tag_key(name: str) -> str:
    """Tag names are unique per partner ignoring case ("VIP" and "vip" are one tag)."""
    return _fold(name.strip())


WORD_MAX = 20  # the customer_words.word column: longer words are compared by their first 20 characters
_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits
_DIGITS_HYPHEN = re.compile(r"(?<=\d)-(?=\d)")  # "91-1144442" is one word, as "911144442"


def search_words(text: str) -> list[str]:
    """The words of a customer's name or city, and of what a partner types, as search compares
    them: case-folded, accents aside ("Montréal" and "montreal"), split at anything that is not
    a letter or a digit ("Foo*Bar" is "foo" and "bar") except a hyphen between digits (an EIN
    is one word, typed with its hyphen or without), each cut to WORD_MAX characters."""
    decomposed = unicodedata.normalize("NFKD", _DIGITS_HYPHEN.sub("", text).casefold()).casefold()
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return [word[:WORD_MAX] for word in _WORD.findall(plain)]


def squash(text: str) -> str:
    """Case-fold, drop accents, whitespace and punctuation: "Québec" and "que bec" match.

    Casefold on both sides of NFKD because decomposition can itself produce
    upper-case letters (NFKD of "ℌ" is "H")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold()).casefold()
    return "".join(ch for ch in decomposed if unicodedata.category(ch)[0] not in "MPZ" and not ch.isspace())


def company_key(name: str) -> str:
    """Company names that differ only in case, accents, spaces or punctuation share a key
    ("Acme, Inc." and "ACME INC"): for the duplicate warning, not for uniqueness."""
    return squash(name or "")[:COMPANY_KEY_MAX]


def sort_key(text: str) -> str:
    """How the list orders names: case and accents aside, so "Émile" sorts among the Es."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
