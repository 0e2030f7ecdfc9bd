"""Made-up but realistic-looking song titles, artists, albums and Spotify ids.

Artist names are built from syllables, so they belong to nobody; titles come from small
word lists in the language most common in the song's main market.
"""

from __future__ import annotations

import numpy as np

BASE62 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
SPOTIFY_ID_LENGTH = 22

WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "noun": ("Heart", "Night", "Fire", "Summer", "Rain", "Gold", "Ghost", "Paradise",
                 "Stars", "Ocean", "Midnight", "Highway", "Echo", "Mirror", "Sugar",
                 "Thunder", "Daylight", "Diamonds", "Shadows", "Wildflower", "Satellite",
                 "Neon", "Honey", "Gravity", "Paper Planes", "Last Dance", "City Lights",
                 "River", "Window", "Roses", "Lightning", "Silence", "Velvet", "Memories",
                 "Horizon", "Champagne", "Angel", "Mountain", "Signal", "Gasoline",
                 "Butterflies", "Cherry", "Moonlight", "Heartbeat", "Lullaby", "Wildfire",
                 "Streetlights", "Pillow", "Tequila Sunrise", "Saturday", "Avenue", "Comet"),
        "adjective": ("Golden", "Broken", "Electric", "Lonely", "Crazy", "Sweet", "Wild",
                      "Blue", "Lost", "Young", "Cold", "Slow", "Perfect", "Dangerous",
                      "Silver", "Pretty", "Hollow", "Restless", "Bitter", "Careless",
                      "Invisible", "Velvet", "Bright", "Late", "Secret", "Heavy"),
        "phrase": ("Don't Let Go", "Call Me Back", "Stay With Me", "Take It Easy",
                   "Hold On", "One More Time", "Feel It", "Run Away", "Say You Will",
                   "Never Enough", "All Night", "Come Home", "Let It Burn", "Keep Dancing",
                   "Tell Me Why", "Out of Time", "Back to You", "Lose Control",
                   "Too Much", "Dance Alone", "Still Here", "Fall Apart"),
        "album": ("Chapter", "Tapes", "Sessions", "Stories", "Era", "Diaries", "Nights"),
    },
    "es": {
        "noun": ("Corazón", "Noche", "Fuego", "Verano", "Luna", "Playa", "Cielo", "Calle",
                 "Amor", "Locura", "Tequila", "Perreo", "Mariposa", "Despacio", "Bandida",
                 "Mentiras", "Besos", "Tormenta", "Sol", "Secreto", "Fiesta", "Mirada",
                 "Ciudad", "Lágrimas", "Nena", "Veneno", "Recuerdos", "Madrugada",
                 "Ritmo", "Sirena", "Caramelo", "Gasolina"),
        "adjective": ("Loca", "Bonita", "Triste", "Salvaje", "Dulce", "Prohibido", "Eterno",
                      "Perdido", "Caliente", "Mala", "Nueva", "Sola"),
        "phrase": ("Dime Que Sí", "Baila Conmigo", "No Me Olvides", "Otra Vez", "Hasta el Final",
                   "Sin Ti", "Quédate", "Vamos a la Playa", "Te Extraño", "Dale Mami",
                   "Qué Pasó", "Ya No Más", "Me Porto Bonito", "Una Noche Más"),
        "album": ("Sesiones", "Historias", "Noches", "Capítulo", "Clásicos"),
    },
    "pt": {
        "noun": ("Saudade", "Coração", "Verão", "Baile", "Cachaça", "Favela", "Sereia",
                 "Paixão", "Madrugada", "Beijo", "Praia", "Luar", "Sorriso", "Segredo",
                 "Balada", "Cidade", "Menina", "Destino"),
        "adjective": ("Bonita", "Louca", "Doce", "Sozinho", "Perigosa", "Linda", "Errado"),
        "phrase": ("Vem Dançar", "Fica Comigo", "Sem Você", "Tô Nem Aí", "Deixa Acontecer",
                   "Bota Pra Tocar", "Volta Pra Mim", "Me Liga", "Só Hoje"),
        "album": ("Ao Vivo", "Sessões", "Histórias", "Acústico"),
    },
}  # fmt: skip

# Language of titles by a song's main market; English elsewhere.
LANGUAGE_OF_COUNTRY = {
    **dict.fromkeys(
        ("AR", "BO", "CL", "CO", "CR", "DO", "EC", "ES", "GT", "HN", "MX", "NI", "PA", "PE",
         "PY", "SV", "UY", "VE"),
        "es",
    ),
    "BR": "pt",
    "PT": "pt",
}  # fmt: skip

SYLLABLES = ("ka", "lo", "mi", "ra", "ze", "no", "vi", "ta", "su", "ren", "dy", "ko", "la",
             "mar", "el", "yo", "an", "ri", "ba", "shi", "tor", "ne", "vo", "li", "da", "jo",
             "ven", "sa", "ly", "ro", "ki", "na", "xo", "fe", "ga", "mu")  # fmt: skip
ARTIST_PATTERNS = ("{a} {b}", "{a} {b}", "{a} {b}", "{a}", "{a}", "DJ {a}", "Lil {a}",
                   "MC {a}", "{a} & The {b}s", "Los {b}s", "{a} {b} Jr.", "{A}")  # fmt: skip


def spotify_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` distinct 22-character base62 ids."""
    chars = BASE62[rng.integers(0, len(BASE62), size=(n, SPOTIFY_ID_LENGTH))]
    ids = np.array(["".join(row) for row in chars])
    if len(np.unique(ids)) != n:
        raise RuntimeError("duplicate Spotify id drawn")  # about 1 chance in 10^30
    return ids


def _word(rng: np.random.Generator, low: int, high: int) -> str:
    parts = rng.choice(SYLLABLES, size=int(rng.integers(low, high + 1)))
    return "".join(parts).capitalize()


def artist_names(n: int, rng: np.random.Generator) -> list[str]:
    """`n` distinct invented artist names."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        pattern = ARTIST_PATTERNS[int(rng.integers(len(ARTIST_PATTERNS)))]
        name = pattern.format(a=_word(rng, 2, 3), b=_word(rng, 2, 3), A=_word(rng, 2, 2).upper())
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def song_title(language: str, rng: np.random.Generator) -> str:
    words = WORDS[language]
    form = rng.random()
    if form < 0.15:
        title = str(rng.choice(words["noun"]))
    elif form < 0.45:
        title = f"{rng.choice(words['adjective'])} {rng.choice(words['noun'])}"
    elif form < 0.55:
        title = str(rng.choice(words["phrase"]))
    elif form < 0.8:
        title = f"{rng.choice(words['noun'])} {rng.choice(words['noun'])}"
    else:
        title = _word(rng, 2, 3)  # a made-up word, as in many titles in other languages
    if rng.random() < 0.06:
        title += " - Remix" if rng.random() < 0.5 else " (Sped Up)"
    return title


def album_title(language: str, rng: np.random.Generator) -> str:
    words = WORDS[language]
    form = rng.random()
    if form < 0.4:
        return str(rng.choice(words["noun"]))
    if form < 0.7:
        return f"{rng.choice(words['noun'])} {rng.choice(words['album'])}"
    return f"{rng.choice(words['adjective'])} {rng.choice(words['noun'])}"
