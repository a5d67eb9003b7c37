"""Realistic French lead files, the same for a given seed: the demo's sample and the import benchmark's.

Shipped with rdv (not under bench/) so that `rdv demo --seed N` can make one where rdv is installed.

Phones are written the many ways real files write them; a share of rows repeat an earlier
prospect's number (duplicates) or carry a number that cannot be dialled (invalid, too short,
premium rate). `python -m rdv.demo_data.generator --demo --out rdv/demo_data/leads-charpente.csv`
rebuilds the demo file.
"""

from __future__ import annotations

import argparse
import csv
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

HEADERS = [
    "Référence", "Civilité", "Nom", "Prénom", "Adresse", "Code postal", "Ville", "Téléphone", "Portable",
    "E-mail", "Date de consentement", "Source du consentement", "Référence de preuve", "Contrat en cours",
    "Type de logement", "Année de construction", "Projet", "Commentaire",
]
# (postcode, commune, weight): big towns weigh more; Corsica and overseas departments included.
COMMUNES = [
    ("75011", "Paris", 30), ("75015", "Paris", 30), ("13008", "Marseille", 20), ("69003", "Lyon", 18),
    ("31000", "Toulouse", 14), ("06000", "Nice", 10), ("44000", "Nantes", 12), ("67000", "Strasbourg", 10),
    ("34000", "Montpellier", 10), ("33000", "Bordeaux", 12), ("59000", "Lille", 10), ("35000", "Rennes", 12),
    ("51100", "Reims", 6), ("76600", "Le Havre", 6), ("42000", "Saint-Étienne", 6), ("83000", "Toulon", 6),
    ("38000", "Grenoble", 6), ("21000", "Dijon", 5), ("49000", "Angers", 6), ("30000", "Nîmes", 5),
    ("63000", "Clermont-Ferrand", 5), ("72000", "Le Mans", 5), ("29200", "Brest", 6), ("37000", "Tours", 5),
    ("80000", "Amiens", 4), ("87000", "Limoges", 4), ("25000", "Besançon", 4), ("45000", "Orléans", 4),
    ("57000", "Metz", 4), ("68100", "Mulhouse", 4), ("14000", "Caen", 4), ("54000", "Nancy", 4),
    ("56100", "Lorient", 4), ("56000", "Vannes", 4), ("22000", "Saint-Brieuc", 3), ("29000", "Quimper", 4),
    ("85000", "La Roche-sur-Yon", 3), ("53000", "Laval", 3), ("17000", "La Rochelle", 3), ("86000", "Poitiers", 3),
    ("64000", "Pau", 3), ("40000", "Mont-de-Marsan", 2), ("24000", "Périgueux", 2), ("19100", "Brive-la-Gaillarde", 2),
    ("01000", "Bourg-en-Bresse", 2), ("74000", "Annecy", 3), ("73000", "Chambéry", 2), ("26000", "Valence", 2),
    ("84000", "Avignon", 3), ("66000", "Perpignan", 3), ("11000", "Carcassonne", 2), ("81000", "Albi", 2),
    ("12000", "Rodez", 2), ("46000", "Cahors", 1), ("65000", "Tarbes", 2), ("09000", "Foix", 1),
    ("03100", "Montluçon", 2), ("18000", "Bourges", 2), ("36000", "Châteauroux", 2), ("41000", "Blois", 2),
    ("28000", "Chartres", 2), ("27000", "Évreux", 2), ("50100", "Cherbourg-en-Cotentin", 2),
    ("61000", "Alençon", 1),
    ("02100", "Saint-Quentin", 2), ("60000", "Beauvais", 2), ("62000", "Arras", 2),
    ("08000", "Charleville-Mézières", 1),
    ("10000", "Troyes", 2), ("52000", "Chaumont", 1), ("55100", "Verdun", 1), ("88000", "Épinal", 1),
    ("70000", "Vesoul", 1), ("39000", "Lons-le-Saunier", 1), ("71100", "Chalon-sur-Saône", 2),
    ("58000", "Nevers", 1),
    ("89000", "Auxerre", 1), ("77000", "Melun", 3), ("78000", "Versailles", 4), ("91000", "Évry-Courcouronnes", 3),
    ("92100", "Boulogne-Billancourt", 4), ("93200", "Saint-Denis", 4), ("94000", "Créteil", 3),
    ("95000", "Cergy", 3), ("20000", "Ajaccio", 2), ("20200", "Bastia", 2), ("20169", "Bonifacio", 1),
    ("97400", "Saint-Denis", 3), ("97410", "Saint-Pierre", 2), ("97100", "Basse-Terre", 1),
    ("97110", "Pointe-à-Pitre", 2), ("97200", "Fort-de-France", 2), ("97300", "Cayenne", 1),
    ("97600", "Mamoudzou", 1), ("97133", "Saint-Barthélemy", 1), ("97150", "Saint-Martin", 1),
]
# Fixed-line and mobile national prefixes by postcode head (mainland zones 01–05; overseas codes).
# Prefixes chosen so that any ending is a valid number of that département's range.
FIXED = {"971": "5909", "972": "5963", "973": "5940", "974": "262", "976": "2696"}
MOBILE = {"971": "690", "972": "696", "973": "6940", "974": "692", "976": "6392"}
MAINLAND_MOBILE = ["60", "61", "62", "64", "65", "66", "67", "68", "60", "61", "62", "64", "73", "75", "76", "77"]
# Mainland geographic zones 01–05 by département, with the second digits valid in each zone.
ZONES = {
    "1": "75 77 78 91 92 93 94 95",
    "2": "14 18 22 27 28 29 35 36 37 41 44 45 49 50 53 56 61 72 76 85 86",
    "3": "02 08 10 21 25 39 51 52 54 55 57 58 59 60 62 67 68 70 71 80 88 89 90",
    "4": "01 03 04 05 06 07 11 13 15 20 26 30 34 38 42 43 48 63 66 69 73 74 83 84",
    "5": "09 12 16 17 19 23 24 31 32 33 40 46 47 64 65 79 81 82 87",
}
ZONE = {dep: zone for zone, deps in ZONES.items() for dep in deps.split()}
SECOND_DIGITS = {"1": "0123456789", "2": "01234579", "3": "0123456789", "4": "123456789", "5": "012345678"}
LAST_NAMES = """Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèvre
Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller
Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia Perrin
Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire
Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez
Gérard Roche Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas
Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Hoarau Grondin Kerbrat""".split() + [
    "Le Gall", "Le Goff", "de La Tour",
]
FIRST_NAMES = [
    ("M.", n) for n in "Jean Pierre Michel Philippe Alain Nicolas Christophe Patrick Daniel Stéphane Laurent "
    "Frédéric Éric Olivier Thierry David Julien Sébastien Pascal François Bernard Gérard Yannick Loïc Hervé "
    "Mathieu Thomas Antoine Rémi Benoît".split()
] + [
    ("Mme", n) for n in "Marie Nathalie Isabelle Sylvie Catherine Françoise Martine Christine Monique Valérie "
    "Sandrine Céline Stéphanie Sophie Véronique Nicole Anne Élodie Aurélie Émilie Hélène Chantal Brigitte "
    "Laëtitia Gaëlle Maëlle Agnès Cécile Josiane Béatrice".split()
]
STREETS = ["rue", "avenue", "chemin", "impasse", "allée", "boulevard", "place", "route", "lieu-dit"]
STREET_NAMES = [
    "de la Gare", "des Lilas", "Victor Hugo", "Jean Jaurès", "du Moulin", "de l'Église", "Pasteur", "des Écoles",
    "du Stade", "de la Mairie", "des Chênes", "du Général de Gaulle", "de la République", "des Tilleuls",
    "du Château", "de Bretagne", "des Vignes", "du Port", "Saint-Martin", "des Peupliers", "de la Forge",
]
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "sfr.fr", "hotmail.fr", "wanadoo.fr", "yahoo.fr"]
SOURCES = [
    "formulaire web devis-charpente.fr", "salon de l'habitat", "jeu concours partenaire", "demande de rappel site",
    "coregistration Habitat+", "formulaire Facebook Ads",
]
PROJECTS = ["charpente", "toiture", "isolation des combles", "extension bois", "traitement de charpente", "carport"]
REFERENCE = datetime(2026, 9, 30, 18, 0)
COMMENTS = [
    "rappeler après 18h", "maison ancienne, charpente à vérifier", "devis concurrent reçu", "projet au printemps",
    "préfère être appelé le matin", "propriétaire depuis 2019",
]
# What a prospect once typed into a web form: the export must never let a spreadsheet run it.
FORMULA = '=HYPERLINK("http://exemple.invalid";"Cliquez ici")'


@dataclass
class Generated:
    """Counts of what a file holds by construction, to check a report against."""

    rows: int = 0
    duplicates: int = 0
    invalid: int = 0
    premium: int = 0


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _written(rng: random.Random, nsn: str) -> str:
    """A national significant number (9 digits) in one of the shapes found in real files."""
    pairs = " ".join(nsn[i:i + 2] for i in range(1, 9, 2))
    shape = rng.random()
    if shape < 0.35:
        return f"0{nsn[0]} {pairs}"
    if shape < 0.55:
        return "0" + nsn
    if shape < 0.65:
        return f"0{nsn[0]}." + pairs.replace(" ", ".")
    if shape < 0.73:
        return f"+33 {nsn[0]} {pairs}"
    if shape < 0.78:
        return f"+33 (0){nsn[0]} {pairs}"
    if shape < 0.83:
        return "0033" + nsn
    if shape < 0.93:
        return nsn  # a spreadsheet ate the leading zero
    return nsn + ".0"


def _invalid(rng: random.Random) -> tuple[str, bool]:
    """(written number, premium?) for a number nobody can dial."""
    kind = rng.randrange(5)
    if kind == 0:
        return f"08 99 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}", True
    if kind == 1:
        return f"06 {rng.randrange(10, 99)} {rng.randrange(10, 99)}", False
    if kind == 2:
        return f"0{rng.randrange(10**9):09d}9", False  # one digit too many
    if kind == 3:
        return "n/a", False
    return f"06 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} 5", False


def rows(count: int, seed: int = 2026, duplicates: float = 0.05, invalid: float = 0.03,
         counts: Generated | None = None, comments: bool = False) -> Iterator[list[str]]:
    """`count` data rows matching HEADERS; `comments` fills the free-text column now and then."""
    rng = random.Random(seed)
    talk = random.Random(seed + 1)  # its own stream: comments leave every other column as it was
    counts = counts if counts is not None else Generated()
    used: set[str] = set()
    earlier: list[tuple[str, str, str, str]] = []
    weights = [w for _pc, _c, w in COMMUNES]

    def fresh(prefix: str) -> str:
        while True:
            nsn = prefix + f"{rng.randrange(10 ** (9 - len(prefix))):0{9 - len(prefix)}d}"
            if nsn not in used:
                used.add(nsn)
                return nsn

    for index in range(count):
        counts.rows += 1
        postcode, city, _w = rng.choices(COMMUNES, weights)[0]
        head = postcode[:3] if postcode[:2] == "97" else postcode[:2]
        civility, first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        roll = rng.random()
        if earlier and roll < duplicates:
            counts.duplicates += 1
            civility, first, last, mobile_nsn = rng.choice(earlier)
            fixed, mobile = "", _written(rng, mobile_nsn)
        elif roll < duplicates + invalid:
            mobile, premium = _invalid(rng)
            fixed = ""
            counts.invalid += 1
            counts.premium += premium
        else:
            mobile_nsn = fresh(MOBILE.get(head) or rng.choice(MAINLAND_MOBILE))
            mobile = _written(rng, mobile_nsn)
            fixed = ""
            if rng.random() < 0.4:
                zone = ZONE.get(head, "2")
                fixed = _written(rng, fresh(FIXED.get(head) or zone + rng.choice(SECOND_DIGITS[zone])))
            if len(earlier) < 200_000:
                earlier.append((civility, first, last, mobile_nsn))
        consent = REFERENCE - timedelta(minutes=rng.randrange(400 * 24 * 60))
        contract = rng.random() < 0.08
        email = f"{_plain(first)}.{_plain(last)}@{rng.choice(DOMAINS)}" if rng.random() < 0.7 else ""
        yield [
            f"CM-{seed % 1000:03d}-{index + 1:07d}", civility, last.upper(), first,
            f"{rng.randrange(1, 120)} {rng.choice(STREETS)} {rng.choice(STREET_NAMES)}", postcode, city,
            fixed, mobile, email, consent.strftime("%d/%m/%Y %H:%M"), rng.choice(SOURCES),
            f"PRV-{consent:%Y%m}-{rng.randrange(10**6):06d}", "oui" if contract else "non",
            rng.choice(["maison", "maison", "maison", "appartement"]), str(rng.randrange(1900, 2020)),
            rng.choice(PROJECTS), _comment(talk, index) if comments else "",
        ]


def _comment(rng: random.Random, index: int) -> str:
    if index == 41:
        return FORMULA
    return rng.choice(COMMENTS) if rng.random() < 0.1 else ""


def write(path: Path, count: int, seed: int = 2026, encoding: str = "cp1252", delimiter: str = ";",
          duplicates: float = 0.05, invalid: float = 0.03, comments: bool = False) -> Generated:
    """Write a lead file as French Excel would (CP1252, `;`) and return what it holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    counts = Generated()
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(HEADERS)
        writer.writerows(rows(count, seed, duplicates, invalid, counts, comments))
    return counts


def demo_file(path: Path, seed: int = 2026, count: int = 2000) -> Generated:
    """The sample file of `rdv demo`: a few duplicates and bad numbers among recorded-consent leads."""
    return write(path, count, seed, duplicates=0.02, invalid=0.01, comments=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--demo", action="store_true", help="the demo's mix: fewer bad rows, some comments")
    args = parser.parse_args()
    counts = demo_file(args.out, args.seed, args.rows) if args.demo else write(args.out, args.rows, args.seed)
    print(f"{args.out}: {counts}")


if __name__ == "__main__":
    main()
