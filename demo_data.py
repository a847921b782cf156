"""Realistic demo customers for seed-demo: valid addresses, EINs and emails.

Deterministic from a running index, so re-running adds new customers
without colliding with the EINs of earlier runs.
"""

import unicodedata
from collections.abc import Iterator
from datetime import timedelta

from models._time import utcnow

PLACES = [
    ("US", "Austin", "TX", "78701"), ("US", "Denver", "CO", "80202"),
    ("US", "Seattle", "WA", "98101"), ("US", "Boston", "MA", "02108"),
    ("US", "Chicago", "IL", "60601"), ("US", "Portland", "OR", "97204"),
    ("US", "Atlanta", "GA", "30303"), ("US", "Phoenix", "AZ", "85004"),
    ("US", "Nashville", "TN", "37203"), ("US", "Columbus", "OH", "43215"),
    ("US", "Raleigh", "NC", "27601"), ("US", "Madison", "WI", "53703"),
    ("US", "New York", "NY", "10001"), ("US", "San Diego", "CA", "92101"),
    ("US", "Miami", "FL", "33130"), ("CA", "Toronto", "ON", "M5V 2T6"),
    ("CA", "Ottawa", "ON", "K1A 0B1"), ("CA", "Vancouver", "BC", "V6B 1A1"),
    ("CA", "Montréal", "QC", "H2Y 1C6"), ("CA", "Calgary", "AB", "T2P 1J9"),
    ("CA", "Halifax", "NS", "B3J 1S9"), ("CA", "Winnipeg", "MB", "R3C 0V8"),
]
FIRST = ["Blue", "North", "Summit", "Cedar", "Harbor", "Maple", "Granite", "Silver", "Pine",
         "River", "Lakeside", "Iron", "Golden", "Oak", "Prairie", "Coastal", "Evergreen", "Red",
         "Canyon", "Falcon", "Beacon", "Orchard", "Willow", "Highland", "Meridian"]
SECOND = ["Dental", "Logistics", "Law Group", "Veterinary", "Architects", "Bakery", "Clinic",
          "Realty", "Accounting", "Construction", "Fitness", "Insurance", "Printing", "Motors",
          "Family Practice", "Engineering", "Brewing", "Outfitters", "Studios", "Foods"]
SUFFIX = ["LLC", "Inc.", "Ltd.", "Co.", "Partners"]
STREETS = ["Main St", "Oak Ave", "Market St", "King St W", "2nd Ave", "Elm St", "Park Blvd",
           "Queen St E", "Lake Dr", "Broadway"]
PEOPLE = ["Ava Patel", "Liam Chen", "Noah Garcia", "Emma Johnson", "Olivia Brown", "Lucas Martin",
          "Mia Nguyen", "Ethan Wilson", "Chloé Tremblay", "Mateo Rossi", "Zoe Kim", "Owen Clarke"]
# (name, color, one customer in how many carries it): the tags partners really use.
DEMO_TAG_SHARES = [("Managed", "blue", 4), ("Net 30", "green", 3), ("VIP", "purple", 50)]
DEMO_TAGS = [(name, color) for name, color, _every in DEMO_TAG_SHARES]
EIN_PREFIXES = ["12", "20", "27", "45", "46", "81", "82", "84", "88", "91", "93", "95"]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def demo_tagged(i: int) -> list[str]:
    """The tags of demo customer i. Spread by a hash of i: "i % n" would follow the names' own
    cycles (they repeat every 500) and bunch a tag under a few letters."""
    spread = i * 2654435761 % 4294967296
    return [name for k, (name, _color, every) in enumerate(DEMO_TAG_SHARES) if (spread >> (8 * k)) % every == 0]


def demo_customer(i: int) -> dict:
    country, city, state, postal = PLACES[i % len(PLACES)]
    # Within each run of 500 every (first, second) pair comes once, and neighbours differ in
    # both words, so the default 25 are not all "... Dental".
    first_index, block = i % len(FIRST), (i // len(FIRST)) % len(SECOND)
    first, second = FIRST[first_index], SECOND[(first_index + block) % len(SECOND)]
    company = f"{first} {second}"
    if i >= len(FIRST) * len(SECOND):
        company += f" {i // (len(FIRST) * len(SECOND)) + 1}"
    legal = f"{company} {SUFFIX[i % len(SUFFIX)]}" if i % 3 else None
    ein = None
    if i % 10 not in (3, 7):
        ein = f"{EIN_PREFIXES[i % len(EIN_PREFIXES)]}-{i % 10_000_000:07d}"
    domain = "".join(ch for ch in company.lower() if ch.isalnum())[:40] + ".example.com"
    people = [PEOPLE[(i + k * 5) % len(PEOPLE)] for k in range(1 + i % 3)]
    return {
        "customer": {
            "company": company, "legal_name": legal, "ein": ein,
            "address": f"{100 + i % 900} {STREETS[i % len(STREETS)]}",
            "city": city, "state": state, "postal_code": postal, "country": country,
            # Customers gathered over the last year and a half, not all today.
            "created_at": utcnow() - timedelta(days=(i * 37) % 540, minutes=(i * 97) % 1440),
        },
        "users": [
            {"name": name, "email": f"{_ascii(name.split()[0].lower())}{i}@{domain}"} for name in people
        ],
        "tags": demo_tagged(i),
    }


def demo_customers(start: int, count: int, batch_size: int) -> Iterator[list[dict]]:
    for offset in range(start, start + count, batch_size):
        yield [demo_customer(i) for i in range(offset, min(offset + batch_size, start + count))]
