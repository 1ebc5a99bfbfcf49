"""The offline engine that pulls candidate companies out of a deal-flow email: layout rules
(list lines, pipe/markdown tables, aligned columns, `Key: value` blocks, prose paragraphs)
and cue words, with no model, network or database, so the same email always gives the
same candidates."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from compound.modules.leads.contract import (
    LOCATION_MAX,
    ONE_LINER_MAX,
    SOURCE_MAX,
    DealFlowEmail,
    ExtractedCompany,
    Sector,
    Span,
    Stage,
)
from compound.platform.errors import ValidationFailed
from compound.platform.normalize import (
    LEGAL_SUFFIXES,
    company_name_key,
    normalize_domain,
    registrable_domain,
)
from compound.platform.records.models import COMPANY_NAME_MAX

MAX_CANDIDATES = 1_000
"""No real deal-flow email lists more; a hostile one must not produce an unbounded answer."""
LINE_MAX = 4_000
"""Characters of one line that are read: a list entry is never longer, and it keeps the
work per line bounded on a giant single-line input."""
_TOKEN_MAX = 300
_NAME_WORDS_MAX = 60

# -- vocabularies ---------------------------------------------------------------------------

_SECTOR_LABELS: dict[str, Sector] = {
    label: sector
    for sector, labels in (
        (
            Sector.FINTECH,
            "fintech|finance|financial services|payments|banking|fin tech|finanza|finanzas"
            "|finanças|finance et assurance|finanzen|pagamenti|pagos|pagamentos",
        ),
        (Sector.INSURTECH, "insurtech|insurance|insure|insur tech|seguros|assicurazioni"),
        (
            Sector.HEALTHTECH,
            "healthtech|health|healthcare|health care|health tech|medtech|digital health|medical"
            "|salud|saúde|saude|sanità|salute|santé|sante|gesundheit|healthcare e pharma",
        ),
        (Sector.BIOTECH, "biotech|bio|life sciences|biotechnology|bio tech|biotecnología"),
        (
            Sector.CLIMATE,
            "climate|climate tech|climatetech|cleantech|energy|sustainability|clean energy"
            "|energia|energía|énergie|energie|clima|climat|sostenibilità|sostenibilidad"
            "|sustentabilidade|greentech",
        ),
        (Sector.DEVTOOLS, "devtools|dev tools|developer tools|developer tooling|devops|dev tool"),
        (
            Sector.AI_INFRASTRUCTURE,
            "ai infrastructure|ai infra|ml infra|mlops|ai|ml|ia|ki|intelligenza artificiale"
            "|inteligencia artificial",
        ),
        (Sector.SECURITY, "security|cybersecurity|cyber security|cyber|ciberseguridad"),
        (Sector.LOGISTICS, "logistics|supply chain|freight|shipping|logistica|logística"),
        (
            Sector.MOBILITY,
            "mobility|transportation|transport|movilidad|mobilità|mobilidade|mobilité"
            "|transporte|trasporti",
        ),
        (
            Sector.EDTECH,
            "edtech|education|ed tech|learning|educación|educacion|educação|educacao|istruzione"
            "|formazione|éducation|bildung",
        ),
        (
            Sector.HR_TECH,
            "hr tech|hr|hrtech|future of work|people ops|recruiting|rrhh|recursos humanos"
            "|risorse umane",
        ),
        (Sector.LEGAL_TECH, "legal tech|legal|legaltech|law"),
        (
            Sector.PROPTECH,
            "proptech|real estate|property|prop tech|inmobiliario|immobiliare|imobiliário",
        ),
        (Sector.MARKETPLACE, "marketplace|marketplaces"),
        (
            Sector.CONSUMER,
            "consumer|d2c|dtc|consumer tech|consumer goods|consumo|consumidor|retail",
        ),
        (
            Sector.FOODTECH,
            "foodtech|food|food tech|food and beverage|alimentación|alimentacion|alimentação"
            "|alimentare|cibo",
        ),
        (Sector.ROBOTICS, "robotics|hardware|robótica|robotica"),
        (
            Sector.AGTECH,
            "agtech|ag|agriculture|agritech|ag tech|agrifood|farming|agro|agricoltura"
            "|agricultura|agroalimentare|agrotech|agrotech",
        ),
        (Sector.OTHER, "other"),
    )
    for label in labels.split("|")
}

# Judging a sector from a one-liner: (sector, weight, stems). A stem starting with "~" may
# sit inside a longer word (German compounds); the others start a word. Product words
# weigh more than buyer words ("robots for farms" is robotics, not agtech).
_SECTOR_WORDS = r"""
robotics:3:robot|crawler|~roboter|robotique|exoskeleton
robotics:2:drone|autonomous
insurtech:4:insur|underwrit|notice of loss|assurance|~versicherung|seguro|cover for|
    loss-run|premiums
insurtech:1:claims
security:3:secur|phishing|ransomware|fraud|honeypot|soc-as|passkey|sbom|spam|
    secrets scanning|vulnerab|cyber|~angriff|sécurité|threat|backup and recovery|
    third-party risk|unsanctioned|detection for
ai infrastructure:3:gpu|inference|llm|embedding|model training|labell?ing|quantis|
    quantiz|synthetic|retrieval|prompt|speech model|evals|on-device model
devtools:3:developer|code|api|sdk|ci|pull request|monorepo|schema|sql|lint|debug|cron|
    feature.flag|k8s|kubernetes|terraform|rails|node|gradle|observability|
    preview environment|canary release|dependency|flaky|memory leak|java|firmware|
    database|load testing|build cach|git|docs|changelog|infra cost|uptime|query cost|
    snowflake|bigquery|grpc
devtools:1:test
legal tech:3:legal|law|court|probate|notari|attorney|lawyer|litigat|patent|prior-art|
    deposition|dispute|statuts|juridique|~vertrag|lease abstraction|small-claims|
    drafting|case filing|contract\b|contracts
fintech:3:payment|lending|loan|credit|bank|invoice|factoring|bookkeeping|accounting|
    expense|treasury|crypto|savings|remittance|escrow|wage|pay|tax filing|fx|hedging|
    custody|investing|financ|~liquidität|cash-flow|cheque|buy-now|card|reconciliation|
    money|wallet|finanz|instalment|installment|ap automation|accounts payable|vat
hr tech:3:hiring|recruit|payroll|talent|onboarding|shift swap|workforce|salary|
    parental leave|rota|recrutement|~dienstplan|payslip|relocation|labour|employ
hr tech:1:staff|benefits
edtech:3:learn|school|student|tutor|teacher|course|education|bootcamp|curriculum|
    homework|classroom|professeur|collège|~ausbildung|azubi|apprentic|revision|lesson|
    maths|reading|training|language courses
healthtech:3:patient|clinic|medical|medic|nurse|dental|therap|fertility|menopause|
    telehealth|~psychiatr|sleep|pharmac|prescri|physio|hearing|allergy|asthma|dementia|
    hospice|postpartum|mental|cbt|vitals|wound|surgery|rehab|cardiac|cardiaque|~pflege|
    altenheim|home-care|care coordination|dialysis|oximetry|retinopathy|hormone|pathology|
    veterinar|microscop
healthtech:1:health|hospital|~krankenh|arzt|diagnos
biotech:3:genomic|protein|enzyme|assay|microbiome|sequencing|single-cell|yeast|strain|
    phage|drug discovery|algae|spirulina|molecul|biolog|bacteri|lab-notebook|r&d|peptide
proptech:3:tenant|landlord|property|real estate|apartment|housing|roof|lettings|zoning|
    mortgage|cottage|logement|~hausverwaltung|nebenkosten|renovation|multifamily|rental|
    rent-to-own|build-to-rent|home
proptech:1:rent
mobility:3:mobility|e-bike|bike|scooter|shuttle|commuter|electric bus|charging|transit|
    minibus|covoiturage|parking|loading-bay|rickshaw|three-wheeler|motorbike|ev|bus route|
    school bus
logistics:3:freight|logistic|shipping|shipper|warehouse|truck|carrier|dispatch|
    cold-chain|customs|pallet|drayage|bill-of-lading|routing|~routenplanung|transport|
    fleet|cargo|dock|berth|forwarder|supply chain|pickup|last-mile|haul|trailer|
    yard management|~liefer
logistics:1:delivery|returns|harbo|maritime|vessel
climate:3:solar|carbon|energy|énergie|energie|heat pump|geothermal|battery|emission|
    methane|microgrid|renewable|hydrogen|insulation|tidal|turbine|recycl|esg|sustainab|
    co2|demand.response|~windanlage|chaleur|wildfire|retrofit|pellet|photovoltai|heat|
    waste|refurbish|reef|restoration|biodiversity
climate:1:grid
foodtech:3:food|restaurant|kitchen|meal|grocer|bakery|boulanger|~bäckerei|spice|cheese|
    lunch|catering|caterer|distiller|pantr|levain|cacao|grill|soft-serve|dairy|tea shop|
    allergen|plant-based|brew|back of house|back-of-house|tasca|bistro|café|cafe|
    takeaway|food truck|sauce|co-packing
agtech:3:farm|crop|agri|soil|irrigation|harvest|hive|pollination|livestock|vineyard|
    grower|smallholder|engrais|laiti|maraîchage|maple|mildew|fertili|~landwirtschaft|
    seeding|orchard
marketplace:4:marketplace|place de marché|wholesale|resale
consumer:3:dog|pet|kids|parents|houseplant|clothing|clothes|podcast|game|travel|family|
    families|consumer|friend
consumer:1:subscription
"""


def _compile_sector_words() -> tuple[tuple[Sector, int, re.Pattern[str]], ...]:
    compiled = []
    # One row per "sector:weight:stems"; an indented line continues the row above.
    for row in _SECTOR_WORDS.replace("\n    ", "").strip().splitlines():
        label, weight_text, stems = row.split(":", 2)
        sector, weight = Sector(label), int(weight_text)
        parts = [
            re.escape(stem[1:])
            if stem.startswith("~")
            # Short stems are whole words: "ci" is not the start of "cities".
            else r"\b" + stem.replace(" ", r"\s") + (r"s?\b" if len(stem) <= 3 else "")
            for stem in stems.split("|")
        ]
        compiled.append((sector, weight, re.compile("|".join(parts), re.IGNORECASE)))
    return tuple(compiled)


_SECTOR_PATTERNS = _compile_sector_words()
_BUYER = re.compile(r"\s(?:for|pour|für|para|per|aimed at)\s", re.IGNORECASE)

_STAGE = re.compile(
    r"\b(?:(?P<pre>pr[eé][\s-]?(?:seed|amor[cç]age))|(?P<seed>seed|amor[cç]age)"
    r"|s[eé]ries?\s+(?P<series>[a-h])\b|(?P<growth>growth[\s-]stage|late[\s-]stage))",
    re.IGNORECASE,
)
# A capitalized stage word inside a flattened table row ("… employers Seed Bend, OR").
_STAGE_TOKEN = re.compile(r"(?<!\S)(?:Pre-?[Ss]eed|Pre [Ss]eed|Seed|S[eé]ries? [A-H])(?!\S)")

# What people write in a website field when there is no website.
_NOT_A_SITE = frozenset(
    {
        "coming soon", "site coming soon", "launching soon", "tbd", "tba", "www", "n/a", "na",
        "none", "none yet", "stealth", "in stealth", "linkedin only", "no website",
        "no website yet", "no site yet", "folgt", "site en construction", "-", "—", "–",
        "?", "??", "pending", "soon", "(blank)", "blank", "website tbd", "not yet",
        "en construction", "à venir", "kommt bald", "sito in arrivo", "in arrivo",
        "sito in costruzione", "in costruzione", "en construcción", "próximamente",
        "proximamente", "em construção", "em breve", "site em construção", "sin web",
        "sem site", "no web", "no site", "not live yet", "not live",
    }
)  # fmt: skip
_NOT_A_SITE_PHRASE = re.compile(
    r"\b(?:site coming soon|coming soon|launching soon|no website yet|no website|none yet"
    r"|site en construction|linkedin only|sito in arrivo|en construcci[oó]n|em constru[cç][aã]o"
    r"|sito in costruzione)\b",
    re.IGNORECASE,
)
_PROFILE_HOSTS = frozenset(
    {
        "linkedin.com", "twitter.com", "x.com", "facebook.com", "instagram.com",
        "crunchbase.com", "angel.co", "wellfound.com", "youtube.com", "tiktok.com",
        "medium.com", "f6s.com",
    }
)  # fmt: skip
_FREE_MAIL = frozenset(
    {
        "gmail", "googlemail", "outlook", "hotmail", "yahoo", "icloud", "proton", "protonmail",
        "aol", "gmx", "web", "live", "me", "mail", "fastmail", "hey", "localhost", "compound",
    }
)  # fmt: skip
_FILE_EXTENSIONS = frozenset(
    {"pdf", "doc", "docx", "png", "jpg", "jpeg", "gif", "xls", "xlsx", "ppt", "pptx", "csv",
     "zip", "txt", "js", "py", "md", "ts", "json", "html", "htm", "key", "mov", "mp4"}
)  # fmt: skip

# Words that join the capitalized words of a name or place ("Sol de Campo", "Peso da Régua").
_CONNECTORS = frozenset(
    {
        "a", "an", "and", "&", "for", "of", "the", "to", "in", "on", "under", "with", "de",
        "da", "do", "das", "dos", "del", "la", "le", "les", "et", "und", "y", "e", "van",
        "von", "der", "di", "du", "des", "am", "im", "upon", "sur", "en", "+",
    }
)  # fmt: skip
_PLACE_CONNECTORS = frozenset(
    {"de", "da", "do", "das", "dos", "del", "la", "le", "les", "am", "an", "der", "im",
     "upon", "on", "of", "the", "sur", "en", "di", "du"}
)  # fmt: skip
_NOT_NAMES = frozenset(
    {
        "company", "company name", "name", "startup", "website", "site", "web", "stage",
        "sector", "industry", "total", "note", "notes", "location", "city", "hq", "url",
        "tbd", "tba", "n/a", "unknown", "unnamed", "none", "stealth", "misc", "other",
        "highlight", "highlights", "update", "updates", "fyi", "ps", "reminder", "format",
        "summary", "intro", "agenda", "announcement", "bonus", "also", "re", "fwd",
    }
)  # fmt: skip
_LINK_LABELS = re.compile(
    r"\s+(?:visit (?:the )?(?:site|website)|website|site|link|learn more|here|visit)$",
    re.IGNORECASE,
)
# Names of organisations that invest, host, advise or bank rather than raise: only used
# where the evidence for a candidate is weak (prose).
_SUPPORT_ORG = re.compile(
    r"\b(?:capital|ventures|partners|angels|fund|syndicate|bank|llp|pllc|properties|realty"
    r"|estates|accelerator|incubator|foundation|credit union|catering|law group|advogados"
    r"|abogados|avvocati|rechtsanw[aä]lte|legal|attorneys|network|group)\b",
    re.IGNORECASE,
)
# A heading that opens a section of non-candidates (news, sponsors, partners, events…).
_EXCLUDING_HEADING = re.compile(
    r"\b(?:news|sponsors?|partners?|events?|co-?investors?|investors|alumni|thanks?|perks"
    r"|judges|press|in the media|venue|housekeeping|already funded|not raising|exits?"
    r"|acquisitions?|inversores|investidores|investitori|patrocinadores|patrocinio"
    r"|partner del|socios|parceiros|financiadores|sponsoring)\b",
    re.IGNORECASE,
)
# A heading that introduces candidates even when it names partners or a portfolio
# ("Our partners' portfolio companies raising now").
_INCLUDING_HEADING = re.compile(
    r"\b(?<!not )(?:raising|raise|fundraising|pitching|open rounds?"
    r"|looking for (?:capital|investors)"
    r"|levantando|levantan|raccogliendo|raccolta|captando|captação|in raccolta)\b",
    re.IGNORECASE,
)
# Table columns that hold someone other than the company (an investor, the person who
# introduced it) or notes: read past, never a candidate.
_OTHER_COLUMNS = frozenset(
    {
        "referred", "referrer", "referral", "intro", "introduced", "introducer", "source",
        "investor", "investors", "lead", "notes", "note", "contact", "founder", "founders",
        "email", "owner", "via", "comments", "comment", "status", "raise", "raising",
        "amount", "ask", "date", "partner", "scout", "by", "from",
    }
)  # fmt: skip
# Verbs that introduce what a company does, in prose ("Sorrel builds …").
_DOES = re.compile(
    r"\b(?:builds?|building|does|offers|offering|runs|sells|selling|issues|makes|making"
    r"|provides|providing|develops|developing|automates|turns|operates|designs|creates"
    r"|helps|lets|connects|delivers|manages|brings|powers|gives|focuses on)\s+",
    re.IGNORECASE,
)
_IS_DESCRIPTION = re.compile(
    r"^is\s+(?!(?:the|a|an|one|already|raising|still|in|on|our|also|currently|now|looking"
    r"|hiring|growing|half|fully|going|based|led|not|very|my|your|their|its|backed)\b)",
    re.IGNORECASE,
)
_TRAILING_PLACE = re.compile(r"\s+in ([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)$")
_RAISING = re.compile(r"\b(?:rais(?:e|es|ing)|round|allocation|tickets?)\b", re.IGNORECASE)
_SENTENCE_STARTERS = frozenset(
    {
        "the", "our", "we", "this", "these", "those", "finally", "let", "hi", "hello",
        "thanks", "thank", "happy", "dear", "please", "reply", "also", "and", "but", "so",
        "if", "when", "here", "there", "it", "they", "she", "he", "i", "you", "all", "every",
        "each", "some", "one", "two", "a", "an", "her", "his", "their", "my", "as", "in",
        "on", "at", "for", "with", "unlike", "yes", "no", "congratulations", "best",
        "cheers", "see", "questions", "last", "next", "what", "why", "how", "who",
        "where", "after", "before", "quick", "great", "good", "just", "note", "ps", "p.s.",
        "fwd", "re", "from", "to", "date", "subject", "sent", "cc", "today", "tomorrow",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    }
)  # fmt: skip
_ABBREVIATIONS = frozenset(
    {"st", "co", "inc", "ltd", "mr", "mrs", "ms", "dr", "mt", "ft", "no", "vs", "jr", "sr",
     "corp", "e.g", "i.e", "approx", "etc", "u.s", "dept", "ave"}
)  # fmt: skip

_WIDE_SPACE = re.compile(r"\s{3,}")
_NON_SPACE = re.compile(r"\S+")
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣–—+]+|\(?\d{1,3}[.)]|#\d{1,4}[.):]?)\s*")
_STRONG_SEPARATOR = re.compile(
    r"\s*\|\s*|\s+[—–]+\s+|\s+-{1,2}\s+|\s+[·•]\s+|\s+/{1,2}\s+|\s*;\s+|\t+|\s{2,}|\s+:\s+"
)
_MARKDOWN_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\(([^()\s]{1,500})\)")
_PARENTHESES = re.compile(r"\(([^()]{1,300})\)")
_URL = re.compile(
    r"(?:https?://)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?::\d{1,5})?"
    r"(?:[/?#]\S*)?",
    re.IGNORECASE,
)
_EMAIL_DOMAIN = re.compile(r"[\w.+-]{1,64}@([a-z0-9.-]{1,253}\.[a-z]{2,24})", re.IGNORECASE)
_KEY_VALUE = re.compile(r"^\s*([^\W\d][\w '’/()-]{0,60}?)\s*:\s+(\S.*)$")
_LIST_DEFAULT_PLACE = re.compile(
    r"\b(?:everyone|every (?:team|company|founder)|all (?:of )?(?:them|teams|companies|"
    r"founders)|all)\s+(?:is|are)\s+(?:based|located|headquartered)\s+in\s+"
    r"([A-Z][^\s,;.]{0,40}(?:[ ,]{1,2}[A-Z][^\s,;.]{0,40}){0,3})"
)
_OWN_NAME_HERE = re.compile(r"\b((?:[A-Z][\w&'’-]*\s+){0,4}[A-Z][\w&'’-]*)\s+here\b")

# Chat pastes (Slack, Teams): `[10:42] maria: …`, `bob: …`, a `Maria Okafor, 11:02 AM`
# author line, and the chatter words a message opens with.
_CHAT_STAMP = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?\s?(?:[AaPp]\.?[Mm]\.?)?[\])]?"
_CHAT_PREFIX = re.compile(r"^\s*" + _CHAT_STAMP + r"\s+@?[^\s:][^:\n]{0,40}?:\s+")
_CHAT_HANDLE = re.compile(r"^\s*@?([\w][\w.'’-]{0,24}(?: [A-Z][\w.'’-]{0,24})?):\s+")
_CHAT_AUTHOR = re.compile(
    r"^\s*[A-Z][\w'’.-]{0,30}(?: [A-Z][\w'’.-]{0,30}){0,3},?\s+(?:(?:today|yesterday|\w{3,9}day)"
    r"\s+(?:at\s+)?)?\d{1,2}:\d{2}\s?(?:[AaPp]\.?[Mm]\.?)?\s*$"
)
_CHAT_FILLER = re.compile(
    r"^(?:(?:\+1|oh|ok|okay|and|also|plus|check out|have a look at|look at|fyi|btw|nice|cool"
    r"|ooh|yes|yeah|agreed|wow|another one|one more|same)(?!\w|\.\w)[\s,.!:;-]*)+",
    re.IGNORECASE,
)
# "correction, Kestrelwave's site is kestrelwave.io": a later message fixes a website.
_SITE_CORRECTION = re.compile(
    r"([A-Z0-9][\w.&'’-]{0,40}(?: [A-Z0-9][\w.&'’-]{0,40}){0,3})(?:'s|’s)\s+(?:web\s?site|site"
    r"|url|domain|homepage|link)\s+is\s+(?:actually\s+|really\s+|now\s+)?(\S{1,200})"
)
# Who brought the company in, at the end of an entry: `…, via Olmeda Capital`,
# `(intro from Kari Lund at Fjellheim Ventures)`. The company is the candidate, not them.
_REFERRAL = re.compile(
    r"\s*\((?:intro(?:duced)?|referred|referral|ref|h/t|via|thanks to|warm intro)\b"
    r"[^()]{0,200}\)"
    r"|(?:,|;|\s[—–-])\s*(?:via|intro(?:duced)? (?:by|from)|referred by|h/t)\s+"
    r"[A-Z][^,;()—–|]{0,80}$",
    re.IGNORECASE,
)
# "they do lab-notebook search …": the pronoun and verb are not part of the one-liner.
_PRONOUN_LEAD = re.compile(
    r"^(?:they|it|which|who)(?:'re|’re| are| is)?\s+(?:do|does|doing|build|builds|building"
    r"|make|makes|making|sell|sells|selling|offer|offers|run|runs|provide|provides)\s+",
    re.IGNORECASE,
)
# Capitalized words in a row: a name in running text (`Q.Labs`, `Harrow & Pine`, `3Loop`).
_CAPITALIZED_RUN = re.compile(
    r"(?<![\w.&'’-])[A-Z0-9][\w.&'’-]*"
    r"(?:(?: (?:&|and|of|de|du|la|del) )?(?: ?[A-Z0-9][\w.&'’-]*)){0,4}"
    r"(?<![.'’-])"
)
# What follows a company's name in prose when the sentence goes on to say what it does.
_VERBS = (
    r"(?:builds?|makes?|sells?|offers?|develops?|runs?|designs?|provides?|creates?|automates?"
    r"|turns?|operates?|issues?|helps?|lets?|connects?|delivers?|manages?|powers?|brings?"
    r"|gives?|does|do|focus(?:es)? on|works? on|ships?|produces?|trains?|plans?|predicts?"
    r"|tracks?|monitors?|measures?|digitizes?|digitises?|simplifies?|replaces?|sends?"
    r"|matches?|finds?|detects?|lends?|insures?|rents?|recycles?|grows?|brews?"
    r"|(?:is|are|'re|’re) (?:building|making|developing|working on|selling|doing|running"
    r"|launching|creating|automating|bringing|designing|shipping)"
    r"|(?:has|have|'ve|’ve) (?:built|developed|launched|created|designed|made))"
)
_NAME_DOES = re.compile(
    r"^(?:\s*,\s*(?:which|that|who)\s+|\s+)" + _VERBS + r"\s+(?P<what>\S.*)"
    r"|^(?:\s*,|\s+is)\s+an?\s+(?:[\w'’-]+\s+){0,3}?(?:company|team|startup|outfit|spin-?out)"
    r"\s+(?:(?:that|which)\s+\w+|working on|building|making|doing|developing|selling"
    r"|focused on|behind|whose\s+\w+)\s+(?P<what2>\S.*)",
    re.IGNORECASE,
)
_PRONOUN_DOES = re.compile(
    r"^(?:they|it|the company|the team|the startup)\s+" + _VERBS + r"\s+(?P<what>\S.*)",
    re.IGNORECASE,
)
_DESCRIPTION_END = re.compile(
    r";|\s[—–]\s|,\s+(?:and|but|so|which|who|with|letting|while|though|although)\b"
    r"|\s+and\s+(?:is|are|has|have|already|they|we|it)\b|,\s+(?=(?:pre-?seed|seed|series)\b)",
    re.IGNORECASE,
)
# Delimiters of a table pasted as text with a header row (pipes have their own reader).
_DELIMITERS = (";", "\t", ",")

_ROLES: tuple[tuple[str, frozenset[str]], ...] = (
    ("url", frozenset({"website", "site", "web", "url", "link", "homepage", "webseite",
                       "domain", "www"})),
    ("stage", frozenset({"stage", "round", "phase", "stade", "étape", "funding"})),
    ("sector", frozenset({"sector", "industry", "vertical", "category", "branche",
                          "secteur", "sektor", "space"})),
    ("location", frozenset({"city", "hq", "based", "location", "where", "base", "country",
                            "standort", "ville", "region", "home", "ort", "town", "sitz"})),
    ("one_liner", frozenset({"what", "one-liner", "oneliner", "description", "describe",
                             "pitch", "about", "does", "summary", "was", "activité",
                             "product", "tagline", "beschreibung", "idea"})),
    ("name", frozenset({"company", "name", "startup", "team", "firma", "unternehmen",
                        "entreprise", "nom", "société", "project", "venture"})),
)  # fmt: skip


# -- small helpers ------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


def stage_of(text: str, *, growth_word: bool = True) -> Stage | None:
    """The funding stage a label or phrase states ("Series C" → growth), or None."""
    for match in _STAGE.finditer(text):
        if match.group("pre"):
            return Stage.PRE_SEED
        if match.group("seed"):
            return Stage.SEED
        letter = match.group("series")
        if letter:
            letter = letter.lower()
            return {"a": Stage.SERIES_A, "b": Stage.SERIES_B}.get(letter, Stage.GROWTH)
        if match.group("growth") and growth_word:
            return Stage.GROWTH
    return None


def sector_label(text: str) -> Sector | None:
    """The sector a label names ("Dev Tools", "AI Infra", "Food"), or None."""
    plain = " ".join(re.sub(r"[^\w&/ -]", " ", text.casefold()).replace("&", "and").split())
    if plain in _SECTOR_LABELS:
        return _SECTOR_LABELS[plain]
    for part in re.split(r"\s*[/,]\s*|\s+and\s+", plain):
        if part in _SECTOR_LABELS:
            return _SECTOR_LABELS[part]
    return None


def _heading_sector(heading: str) -> Sector | None:
    """The sector a heading names as a whole (`HEALTH`, `ENERGIA`); a heading grouping several
    (`FOOD & RETAIL`) labels nothing."""
    plain = " ".join(re.sub(r"[^\w&/ -]", " ", heading.casefold()).split())
    return _SECTOR_LABELS.get(plain.strip("-_ "))


def judge_sector(one_liner: str) -> Sector | None:
    """The sector a one-liner's words point to; OTHER when none does, None when it is empty."""
    if not one_liner.strip():
        return None
    text = one_liner[:ONE_LINER_MAX]
    # What is sold ("phishing simulation") says more than who buys it ("for dental clinics").
    buyer = _BUYER.search(text)
    product_end = buyer.start() if buyer else len(text)
    scores: dict[Sector, tuple[int, int]] = {}
    for sector, weight, pattern in _SECTOR_PATTERNS:
        for match in pattern.finditer(text):
            points = weight * (2 if match.start() < product_end else 1)
            score, first = scores.get(sector, (0, match.start()))
            scores[sector] = (score + points, min(first, match.start()))
    if not scores:
        return Sector.OTHER
    # Equal scores: the sector named first in the one-liner, then the table's order.
    return max(scores, key=lambda sector: (scores[sector][0], -scores[sector][1]))


def _is_not_a_site(text: str) -> bool:
    plain = " ".join(text.casefold().strip(" .()").split())
    return plain in _NOT_A_SITE


@lru_cache(maxsize=16_384)
def _url_token(token: str) -> str | None:
    """The token itself when it is a web address written in an email, else None."""
    token = token.strip("<>()[]'\".,;:!")
    if not token or len(token) > _TOKEN_MAX or "@" in token:
        return None
    if not _URL.fullmatch(token):
        return None
    lowered = token.lower()
    explicit = lowered.startswith(("http://", "https://", "www."))
    without_scheme = re.sub(r"^https?://", "", token, flags=re.IGNORECASE)
    host = re.split(r"[/?#:]", without_scheme, maxsplit=1)[0]
    top = host.rsplit(".", 1)[-1]
    if top.lower() in _FILE_EXTENSIONS and not explicit:
        return None
    # "founders.They" is a missing space, not a domain.
    if not explicit and not (top.islower() or top.isupper()):
        return None
    return token


@dataclass
class _Site:
    host: str = ""
    note: str = ""
    present: bool = False
    """The email wrote something in the website place (a site or a non-site)."""


def _site_from(text: str, own_domains: frozenset[str]) -> _Site | None:
    """What a website field says: a host, a non-site with a note, or None when the text is
    neither (or a tracking link of the sender, which says nothing about the company)."""
    value = text.strip()
    if _is_not_a_site(value):
        return _Site(note=f"url {value!r} is not a website", present=True)
    token = _url_token(value)
    if token is None:
        return None
    try:
        host = normalize_domain(token, field="url")
    except ValidationFailed:
        return _Site(note=f"url {value!r} is not a website", present=True)
    registrable = registrable_domain(host)
    if registrable in own_domains:
        return None
    if registrable in _PROFILE_HOSTS:
        return _Site(note=f"url {value!r} is a profile page, not a website", present=True)
    return _Site(host=host, present=True)


def _clean_markup(text: str) -> str:
    def link(match: re.Match[str]) -> str:
        label, href = match.group(1), match.group(2)
        return label if _url_token(label) else f"{label} ({href})"

    text = _MARKDOWN_LINK.sub(link, text)
    return text.replace("**", "").replace("__", "").replace("`", "")


def _strip_piece(text: str) -> str:
    return text.strip(" \t,;:|-–—·•/").strip()


def _clean_name(text: str) -> str:
    name = _BULLET.sub("", text, count=1) if _BULLET.match(text) else text
    name = _strip_piece(name).strip("\"'“”‘’*_")
    name = _LINK_LABELS.sub("", name).strip()
    if name.endswith(".") and not name.endswith(".."):
        last = name[:-1].rsplit(" ", 1)[-1].casefold().replace(".", "")
        if last not in LEGAL_SUFFIXES:
            name = name[:-1].rstrip()
    return name


def _starts_upper(word: str) -> bool:
    word = word.lstrip("(\"'“‘")
    if word[:2].lower() in ("d'", "l'", "d’", "l’"):
        word = word[2:]
    return bool(word) and (word[0].isupper() or word[0].isdigit())


def _valid_name(name: str) -> bool:
    words = _words(name)
    if not words or len(words) > _NAME_WORDS_MAX or not name[0].isalnum():
        return False
    plain = name.casefold().strip(" .:")
    if plain in _NOT_NAMES or "@" in name or _url_token(name):
        return False
    if words[0].casefold().strip(".:()") in {"tbd", "tba", "n/a", "unknown", "unnamed", "?"}:
        return False
    if len(words) == 1:
        return any(character.isalpha() for character in name) and len(name) <= 40
    for word in words:
        if word.casefold() in _CONNECTORS or word.startswith("("):
            continue
        if not _starts_upper(word):
            return False
    return True


def _looks_like_place(text: str) -> bool:
    text = text.strip()
    words = _words(text.replace(",", " "))
    if not 1 <= len(words) <= 5 or len(text) > 60:
        return False
    if any(character.isdigit() for character in text) or _url_token(text):
        return False
    if stage_of(text) or sector_label(text) or _is_not_a_site(text):
        return False
    if words[0] in _PLACE_CONNECTORS:
        return False
    return all(word in _PLACE_CONNECTORS or _starts_upper(word) for word in words)


def _is_region_code(text: str) -> bool:
    text = text.strip()
    return 2 <= len(text) <= 3 and text.isalpha() and text.isupper()


def _descriptive(text: str) -> bool:
    return len(_words(text)) >= 2 and any(character.isalpha() for character in text)


# -- splitting a list entry into pieces ---------------------------------------------------------


def _split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in re.finditer(r"[.!?]\s+", text):
        before = text[start : match.start()].rsplit(" ", 1)[-1].casefold().strip("(")
        if match.group().startswith(".") and (
            before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha())
        ):
            continue
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def _split_parentheses(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _PARENTHESES.finditer(text):
        content = match.group(1).strip()
        if not (
            _url_token(content)
            or _is_not_a_site(content)
            or stage_of(content)
            or _looks_like_place(content)
        ):
            continue
        pieces.extend([text[start : match.start()], content])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def _split_tokens(text: str) -> list[str]:
    """Cut web addresses, non-site phrases and capitalized stage words out of a piece."""
    pieces: list[str] = []
    start = 0
    for match in _NON_SPACE.finditer(text):
        if _url_token(match.group()):
            pieces.extend([text[start : match.start()], match.group()])
            start = match.end()
    pieces.append(text[start:])
    result: list[str] = []
    for piece in pieces:
        if _url_token(piece.strip()):
            result.append(piece)
            continue
        for part in _cut(piece, _NOT_A_SITE_PHRASE):
            result.extend(_cut_stage(part) if len(_words(part)) >= 3 else [part])
    return result


def _cut_stage(text: str) -> list[str]:
    """`… employers Seed Bend, OR` → the description, the stage and the place (a table row
    whose cells were joined with spaces); a stage inside a sentence stays where it is."""
    for match in _STAGE_TOKEN.finditer(text):
        before, after = text[: match.start()], text[match.end() :].strip(" ,")
        if before.strip() and (not after or _looks_like_place(after)):
            return [before, match.group(), after]
    return [text]


def _cut(text: str, pattern: re.Pattern[str]) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        pieces.extend([text[start : match.start()], match.group()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


@lru_cache(maxsize=4_096)
def _pieces(text: str) -> tuple[str, ...]:
    """A list entry cut at its separators: `Name (url) — what. Stage · City` → five pieces."""
    text = _WIDE_SPACE.sub("  ", _REFERRAL.sub("", _clean_markup(text)))
    pieces: list[str] = []
    for index, segment in enumerate(_STRONG_SEPARATOR.split(text)):
        for part in _split_parentheses(segment):
            for token_piece in _split_tokens(part):
                first = not pieces and index == 0
                colon = token_piece.find(": ")
                if colon > 0 and len(_words(token_piece[:colon])) <= (6 if first else 4):
                    halves = [token_piece[:colon], token_piece[colon + 2 :]]
                else:
                    halves = [token_piece]
                for half in halves:
                    for sentence in [half] if first else _split_sentences(half):
                        sentence = _strip_piece(sentence)
                        if sentence:
                            pieces.append(sentence)
                    first = False
    return tuple(pieces)


# -- reading the fields of an entry -------------------------------------------------------------


@dataclass
class _Draft:
    name: str
    start: int
    end: int
    url: str = ""
    one_liner: str = ""
    sector: Sector | None = None
    stage: Stage | None = None
    location: str = ""
    notes: list[str] = field(default_factory=list)
    site_present: bool = False
    structured: bool = True

    def fill(self, other: _Draft) -> None:
        """Take what this draft lacks from another mention of the same company."""
        if not self.url and other.url:
            self.url = other.url
        self.one_liner = self.one_liner or other.one_liner
        self.sector = self.sector if self.sector not in (None, Sector.OTHER) else other.sector
        self.stage = self.stage or other.stage
        self.location = self.location or other.location
        for note in other.notes:
            if note not in self.notes and not (self.url and note.startswith("url ")):
                self.notes.append(note)


@dataclass
class _Fields:
    url: str = ""
    site_present: bool = False
    notes: list[str] = field(default_factory=list)
    one_liner: str = ""
    label: Sector | None = None
    stage: Stage | None = None
    stage_present: bool = False
    location: str = ""

    def take(self, role: str, text: str, own: frozenset[str]) -> bool:
        """Record `text` in `role`; False when it does not fit there."""
        text = text.strip()
        if not text:
            return False
        if role == "url":
            site = _site_from(text, own)
            if site is None:
                return False
            if not self.site_present:
                self.url, self.site_present = site.host, True
                if site.note:
                    self.notes.append(site.note)
            return True
        if role == "stage":
            if not self.stage_present:
                self.stage, self.stage_present = stage_of(text), True
            return True
        if role == "sector":
            self.label = self.label or sector_label(text)
            return True
        if role == "location":
            self.location = self.location or text[:LOCATION_MAX]
            return True
        if role == "one_liner":
            self.one_liner = self.one_liner or _PRONOUN_LEAD.sub("", text)[:ONE_LINER_MAX]
            return True
        return False

    def classify(self, piece: str, own: frozenset[str]) -> None:
        """Put a piece of a list entry where it belongs, peeling `…, Seed, Denver, CO` off
        the end of a descriptive piece."""
        if self._simple(piece, own):
            return
        parts = [(m.start(), m.end()) for m in re.finditer(r"[^,]+", piece)]
        tail: list[tuple[str, str]] = []
        while len(parts) > 1:
            last = piece[parts[-1][0] : parts[-1][1]].strip()
            before = piece[parts[-2][0] : parts[-2][1]].strip()
            # "Denver, CO" and "Córdoba, Argentina" are one place.
            if (
                _is_region_code(last) or (len(parts) == 2 and _looks_like_place(last))
            ) and _looks_like_place(before):
                tail.insert(0, ("location", piece[parts[-2][0] : parts[-1][1]].strip()))
                parts = parts[:-2]
                continue
            kind = self._kind(last)
            if kind is None:
                break
            tail.insert(0, (kind, last))
            parts.pop()
        head = _strip_piece(piece[: parts[-1][1]]) if parts else ""
        if tail and head:
            if not self._simple(head, own) and _descriptive(head):
                self.take("one_liner", head, own)
        elif _descriptive(piece) and not re.match(r"^stage\b", piece, re.IGNORECASE):
            self.take("one_liner", piece, own)
        for kind, text in tail:
            if kind != "junk":
                self.take(kind, text, own)

    def _kind(self, piece: str) -> str | None:
        if _url_token(piece) or _is_not_a_site(piece):
            return "url"
        if len(_words(piece)) <= 3 and "," not in piece and stage_of(piece):
            return "stage"
        # "raising their Series A", "at seed"
        if (
            len(_words(piece)) <= 6
            and re.match(r"^(?:raising|closing|opening|at)\b", piece, re.IGNORECASE)
            and stage_of(piece)
        ):
            return "stage"
        if re.match(r"^(?:stage\b|\?+$)", piece, re.IGNORECASE):
            return "junk"
        if sector_label(piece):
            return "sector"
        if _looks_like_place(piece):
            return "location"
        return None

    def _simple(self, piece: str, own: frozenset[str]) -> bool:
        kind = self._kind(piece)
        if kind == "junk":
            return True
        if kind is None:
            return False
        if kind == "location" and self.location:
            return True  # a second place-like piece (a trailing remark) adds nothing
        return self.take(kind, piece, own) or kind != "url"


def _entry_from_pieces(
    pieces: list[str], roles: list[str] | None, own: frozenset[str]
) -> tuple[str, _Fields] | None:
    """The name and fields of one list entry, or None when it is not a company entry."""
    fields = _Fields()
    if roles is not None and len(roles) == len(pieces):
        name = ""
        for role, piece in zip(roles, pieces, strict=True):
            if role == "name":
                name = name or piece
            else:
                fields.take(role, piece, own)
        name = _clean_name(name)
        return (name, fields) if _valid_name(name) else None
    if not pieces:
        return None
    rest = list(pieces)
    head = rest.pop(0)
    if (_url_token(head) or _is_not_a_site(head)) and rest and not _dotted_name(head):
        fields.take("url", head, own)
        head = rest.pop(0)
    name = _clean_name(head)
    if _dotted_name(head):
        name = head.strip()
    elif not _valid_name(name):
        # "3Loop is worth a look too: 3loop.co — …": the capitalized words that open the
        # piece are the name when the entry's website spells them.
        hosts = [_url_token(piece) for piece in rest[:2]]
        keys = {company_name_key(host.split("//")[-1].split(".")[0]) for host in hosts if host}
        keys.discard("")
        runs = (match.group() for match in _CAPITALIZED_RUN.finditer(head[:300]))
        name = next((run for run in runs if keys and company_name_key(run) in keys), "")
        if not _valid_name(name):
            return None
    for piece in rest:
        fields.classify(piece, own)
    return name, fields


def _dotted_name(text: str) -> bool:
    """`Tenfold.ai`, `Nodewell.io`: a capitalized bare host written as a company's name."""
    text = text.strip()
    return (
        bool(text[:1].isupper())
        and "/" not in text
        and not text.lower().startswith("www.")
        and _url_token(text) == text
    )


def _is_entry(fields: _Fields, *, list_item: bool, name: str) -> bool:
    """A company entry has a website place or a stage, and something besides."""
    anchors = int(fields.site_present) + int(fields.stage_present)
    others = sum(bool(value) for value in (fields.one_liner, fields.location, fields.label))
    if anchors == 0:
        return False
    if anchors + others >= 2:
        return True
    # `Acme (acme.io)` alone is an entry when it is a list item or a short name.
    return bool(fields.url) and (list_item or len(_words(name)) <= 4)


# -- the email as lines and paragraphs ----------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    body: str
    """The line without quote marks (`> `), cut at LINE_MAX."""

    @property
    def blank(self) -> bool:
        return not self.body.strip()

    @property
    def decoration(self) -> bool:
        return not any(character.isalnum() for character in self.body)


def _is_chat(raws: list[str]) -> bool:
    """A pasted chat: two or more `[10:42] maria:` lines or `Maria, 11:02 AM` author lines."""
    hits = 0
    for raw in raws[:5_000]:
        line = raw[:200]
        if _CHAT_PREFIX.match(line) or _CHAT_AUTHOR.match(line):
            hits += 1
            if hits >= 2:
                return True
    return False


def _chat_body(body: str) -> str:
    """A chat message without its time, author and opening chatter (`+1, also …`)."""
    if _CHAT_AUTHOR.match(body):
        return ""
    stripped = _CHAT_PREFIX.sub("", body, count=1)
    if stripped == body:
        handle = _CHAT_HANDLE.match(body)
        if handle and _role_of(handle.group(1)) is None:
            stripped = body[handle.end() :]
    return _CHAT_FILLER.sub("", stripped, count=1)


def _lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    start = 0
    raws = text.split("\n")
    chat = _is_chat(raws)
    for raw in raws:
        end = start + len(raw)
        body = _QUOTE.sub("", raw[:LINE_MAX]).rstrip("\r")
        if chat:
            body = _chat_body(body)
        lines.append(_Line(start, end, body))
        start = end + 1
    return lines


def _is_heading(lines: list[_Line], index: int) -> bool:
    body = lines[index].body.strip().strip("#=~*_-: ").strip()
    words = _words(body)
    if not words or len(words) > 8 or _url_token(body) or "|" in body:
        return False
    letters = [character for character in body if character.isalpha()]
    if len(letters) >= 3 and all(character.isupper() for character in letters):
        return True
    if lines[index].body.lstrip().startswith("#"):
        return True
    before = index == 0 or lines[index - 1].blank or lines[index - 1].decoration
    after = index + 1 >= len(lines) or lines[index + 1].blank
    return before and after and len(words) <= 4 and body[-1] not in ".,;:!?"


def _split_row(body: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader([body], delimiter=delimiter, skipinitialspace=True))
    except (csv.Error, StopIteration):
        return body.split(delimiter)
    return [cell.strip() for cell in cells]


def _column_role(cell: str) -> str | None:
    words = set(re.findall(r"[^\W\d_]+", cell.casefold()))
    if words & _OTHER_COLUMNS:
        return "other"
    return _role_of(cell.replace("_", " "))


def _table_header(body: str) -> tuple[str, list[str]] | None:
    """The delimiter and column roles of a header row (`company;website;stage;referred_by`)."""
    if len(body) > 400:
        return None
    for delimiter in _DELIMITERS:
        if body.count(delimiter) < 2:
            continue
        cells = _split_row(body.strip(), delimiter)
        if len(cells) < 3 or any(not cell or len(_words(cell)) > 4 for cell in cells):
            continue
        roles = [_column_role(cell) for cell in cells]
        known = [role for role in roles if role not in (None, "other")]
        if "name" in known and len(set(known)) >= 3 and roles.count(None) <= 1:
            return delimiter, [role or "other" for role in roles]
    return None


def _header_roles(pieces: list[str]) -> list[str] | None:
    if len(pieces) < 3:
        return None
    roles: list[str] = []
    for piece in pieces:
        role = _role_of(piece)
        if role is None:
            return None
        roles.append(role)
    return roles if "name" in roles else None


def _role_of(key: str) -> str | None:
    words = set(re.findall(r"[\w'-]+", key.casefold()))
    if not words or len(words) > 8:
        return None
    for role, vocabulary in _ROLES:
        if words & vocabulary:
            return role
    return None


# -- the extractor ------------------------------------------------------------------------------


@dataclass
class _Reader:
    email: DealFlowEmail
    own_domains: frozenset[str]
    drafts: list[_Draft] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    """Indexes of lines that became (part of) an entry, or sit in a section of news,
    sponsors or partners: prose is not read there."""
    heading_label: Sector | None = None
    """The sector a heading above the current entries names (`HEALTH`, `ENERGIA`)."""

    def add(self, name: str, fields: _Fields, start: int, end: int) -> None:
        if len(self.drafts) >= MAX_CANDIDATES:
            return
        notes = list(fields.notes)
        if len(name) > COMPANY_NAME_MAX:
            name = name[:COMPANY_NAME_MAX].rstrip()
            notes.append(f"name cut to {COMPANY_NAME_MAX} characters")
        sector = fields.label or self.heading_label or judge_sector(fields.one_liner)
        if fields.one_liner and not fields.stage_present:
            fields.stage = stage_of(fields.one_liner, growth_word=False)
        if fields.one_liner and not fields.location:
            trailing = _TRAILING_PLACE.search(fields.one_liner)
            fields.location = trailing.group(1) if trailing else ""
        self.drafts.append(
            _Draft(
                name=name,
                start=start,
                end=end,
                url=fields.url,
                one_liner=fields.one_liner,
                sector=sector,
                stage=fields.stage,
                location=fields.location,
                notes=notes,
                site_present=fields.site_present,
            )
        )

    # -- blocks of `Key: value` lines --------------------------------------------------------

    def block(self, lines: list[_Line], indexes: list[int]) -> bool:
        roles: list[tuple[str, str]] = []
        title = ""
        for index in indexes:
            body = lines[index].body
            pairs = [_KEY_VALUE.match(part) for part in re.split(r"\s+[·|]\s+", body)]
            found = [(_role_of(m.group(1)), m.group(2)) for m in pairs if m]
            known = [(role, value) for role, value in found if role]
            if known:
                roles.extend(known)
            elif not found and not title and not lines[index].decoration:
                title = body
        if len({role for role, _ in roles}) < 2:
            return False
        fields = _Fields()
        name = ""
        for role, value in roles:
            if role == "name":
                name = name or value
            else:
                fields.take(role, _clean_markup(value), self.own_domains)
        name = _clean_name(_clean_markup(name or re.sub(r"^=+|=+$", "", title)))
        if not _valid_name(name) or not (fields.site_present or fields.stage_present):
            return bool(name)  # a nameless submission is consumed, not invented
        self.add(name, fields, lines[indexes[0]].start, lines[indexes[-1]].end)
        self.used.update(indexes)
        return True

    # -- one entry per line ------------------------------------------------------------------

    def entry(self, body: str, roles: list[str] | None) -> tuple[str, _Fields] | None:
        found = _entry_from_pieces(list(_pieces(body)), roles, self.own_domains)
        if found is None:
            return None
        name, fields = found
        if not _is_entry(fields, list_item=bool(_BULLET.match(body)), name=name):
            return None
        return name, fields

    def paragraph(self, lines: list[_Line], indexes: list[int], roles: list[str] | None) -> None:
        position = 0
        while position < len(indexes) and len(self.drafts) < MAX_CANDIDATES:
            index = indexes[position]
            line = lines[index]
            if line.decoration:
                position += 1
                continue
            found = self.entry(line.body, roles)
            if found is None:
                position += 1
                continue
            name, fields = found
            last = position
            # Two-line entries: `Name · site` then `what · Stage · City` on the next line.
            while (
                not fields.one_liner
                and not fields.stage_present
                and last + 1 < len(indexes)
                and self.entry(lines[indexes[last + 1]].body, roles) is None
                and not lines[indexes[last + 1]].decoration
            ):
                joined = " · ".join(lines[i].body.strip() for i in indexes[position : last + 2])
                again = self.entry(joined, None)
                if again is None or again[0] != name:
                    break
                name, fields = again
                last += 1
            last = self._continuation(lines, indexes, last, fields, roles)
            self.add(name, fields, line.start, lines[indexes[last]].end)
            self.used.update(indexes[position : last + 1])
            position = last + 1

    def _continuation(
        self,
        lines: list[_Line],
        indexes: list[int],
        last: int,
        fields: _Fields,
        roles: list[str] | None,
    ) -> int:
        """Multi-line entries: `**Name** · Seed · City`, then the one-liner on its own line,
        then the website on its own line. Returns the position of the entry's last line."""
        first = last
        while last + 1 < len(indexes) and last - first < 3:
            line = lines[indexes[last + 1]]
            body = _clean_markup(line.body).strip()
            if line.decoration or _BULLET.match(line.body) or self.entry(line.body, roles):
                break
            bare = body.strip("()[]<> ")
            if not fields.site_present and (_url_token(bare) or _is_not_a_site(bare)):
                if not fields.take("url", bare, self.own_domains):
                    break
            elif (
                not fields.one_liner
                and _descriptive(body)
                and len(body) <= 300
                and not _KEY_VALUE.match(body)
                and not _url_token(bare)
            ):
                fields.take("one_liner", body.rstrip(" ."), self.own_domains)
            else:
                break
            last += 1
        return last

    def delimited(self, lines: list[_Line]) -> None:
        """Tables pasted as text with a header row, cells separated by `;`, tabs or commas
        (quoted cells may hold the delimiter); `#` and `//` rows are commented out."""
        index = 0
        while index < len(lines) and len(self.drafts) < MAX_CANDIDATES:
            header = _table_header(lines[index].body)
            index += 1
            if header is None:
                continue
            delimiter, roles = header
            self.used.add(index - 1)
            while index < len(lines) and not lines[index].blank:
                line = lines[index]
                body = line.body.strip()
                if body.startswith(("#", "//")):
                    self.used.add(index)
                    index += 1
                    continue
                if delimiter not in body:
                    break
                self.used.add(index)
                self._row(roles, _split_row(body, delimiter), line)
                index += 1

    def _row(self, roles: list[str], cells: list[str], line: _Line) -> None:
        fields = _Fields()
        name = ""
        for role, cell in zip(roles, cells, strict=False):
            cell = _clean_markup(cell).strip()
            if not cell or role == "other":
                continue
            if role == "name":
                name = name or cell
            elif role == "url" or not _is_not_a_site(cell):
                fields.take(role, cell, self.own_domains)
        name = _clean_name(name)
        if _valid_name(name):
            self.add(name, fields, line.start, line.end)

    def read(self) -> None:
        lines = _lines(self.email.text)
        self.delimited(lines)
        self._read_sections(lines)
        self.drafts.sort(key=lambda draft: draft.start)

    def _read_sections(self, lines: list[_Line]) -> None:
        excluded = False
        roles: list[str] | None = None
        paragraph: list[int] = []
        for index, line in enumerate([*lines, _Line(0, 0, "")]):
            if len(self.drafts) >= MAX_CANDIDATES:
                return
            if not line.blank:
                paragraph.append(index)
                continue
            if paragraph:
                excluded, roles = self._section(lines, paragraph, excluded, roles)
            paragraph = []

    def _section(
        self,
        lines: list[_Line],
        paragraph: list[int],
        excluded: bool,
        roles: list[str] | None,
    ) -> tuple[bool, list[str] | None]:
        """Read one paragraph; returns whether the section it ends in excludes candidates and
        the table header in force."""
        # Headings may sit inside a paragraph (newsletters): read the runs between them.
        run: list[int] = []
        for index in [*paragraph, -1]:
            if index in self.used:
                continue
            if index >= 0 and not _is_heading(lines, index):
                body = lines[index].body
                if not lines[index].decoration and re.search(r"\||\s\s|\t", body):
                    header = _header_roles(list(_pieces(body)))
                    if header is not None:
                        roles = header
                        continue
                run.append(index)
                continue
            if run and excluded:
                self.used.update(run)
            elif run and not self.block(lines, run):
                self.paragraph(lines, run, roles)
            run = []
            if index >= 0:
                heading = lines[index].body
                excluded = bool(_EXCLUDING_HEADING.search(heading)) and not (
                    _INCLUDING_HEADING.search(heading)
                )
                self.heading_label = _heading_sector(heading)
                roles = None
        return excluded, roles


def _own_domains(email: DealFlowEmail) -> frozenset[str]:
    """Registrable domains of the sender and of forwarded senders: their links are tracking
    or signatures, and their organisation is not a candidate."""
    domains: set[str] = set()
    addresses = [email.sender, *re.findall(r"\S{1,80}@\S{1,120}", email.text[:200_000])]
    for address in addresses[:200]:
        match = _EMAIL_DOMAIN.search(address)
        if not match:
            continue
        domain = registrable_domain(match.group(1).lower())
        if domain.split(".")[0] not in _FREE_MAIL:
            domains.add(domain)
    return frozenset(domains)


def _own_keys(email: DealFlowEmail, domains: frozenset[str]) -> set[str]:
    keys = {domain.split(".")[0].replace("-", "") for domain in domains}
    for match in _OWN_NAME_HERE.finditer(email.text[:5_000]):
        words = match.group(1).split()
        # "Renata from Larkspur Accelerator here": the organisation is the last words.
        while words and not words[0][0].isupper():
            words.pop(0)
        key = company_name_key(" ".join(words[-3:]))
        if key:
            keys.add(key)
    return keys


# -- prose --------------------------------------------------------------------------------------


def _prose_name(text: str) -> tuple[str, str]:
    """The capitalized words a sentence opens with, and the rest of it."""
    words = text.split(" ")
    taken: list[str] = []
    for position, word in enumerate(words[:8]):
        plain = word.rstrip(",:;")
        lowered = plain.casefold()
        if not plain:
            break
        joins = lowered in ("&", "de", "of", "and") and taken and position + 1 < len(words)
        if not (_starts_upper(plain) or joins):
            break
        taken.append(plain)
        if plain != word:
            break
    while taken and taken[-1].casefold() in _CONNECTORS:
        taken.pop()
    name = " ".join(taken)
    return name, text[len(name) :].lstrip(" ,:;")


def _prose_place(paragraph: str, name: str) -> str:
    for pattern in (
        r"\bbased in ([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)",
        r"\bout of ([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)",
        r"\b([A-Z][\w'’]+(?: [A-Z][\w'’]+)?)-based\b",
        r"(?:\bis|,) an? ([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?) (?:[\w-]+ )?(?:company|startup|team)\b",
    ):
        match = re.search(pattern, paragraph)
        if match and match.group(1) not in name:
            words = match.group(1).split()
            if len(words) > 1 and words[0].casefold() in _SENTENCE_STARTERS:
                words = words[1:]  # "The Dublin-based team"
            return " ".join(words)
    for sentence in _split_sentences(paragraph):
        if not stage_of(sentence, growth_word=False):
            continue
        for fragment in re.split(r",\s*|\s+[—–]\s+", sentence):
            fragment = fragment.strip(" .")
            if _looks_like_place(fragment) and fragment not in name:
                return fragment
    return ""


def _prose_mention(paragraph: str, *, strict: bool) -> tuple[str, _Fields] | None:
    """`Sorrel Systems builds scheduling software …; Dublin; seed` from a prose paragraph."""
    text = " ".join(_BULLET.sub("", paragraph, count=1).split())[:LINE_MAX]
    first = _split_sentences(text)[0]
    colon = first.find(": ")
    if 0 < colon < 60 and not _valid_name(first[:colon]):
        text = text[colon + 2 :]  # "Finally, a later-stage one: Castellan …"
    name, rest = _prose_name(text)
    if not name or not _valid_name(name) or len(_words(name)) > 6:
        return None
    if name.split()[0].casefold() in _SENTENCE_STARTERS:
        return None
    if rest.startswith(("based in", "out of", "a ", "an ", "the ")) and "," in rest[:80]:
        rest = rest.split(",", 1)[1].lstrip()  # ", based in Madrid, is raising …"
    sentence = re.split(r"(?<=[a-z0-9)])[.!?]\s|\s[—–]\s|;\s", rest, maxsplit=1)[0]
    fields = _Fields()
    verb = _DOES.search(sentence)
    before = sentence[: verb.start()] if verb else ""
    if verb and len(_words(before)) <= 10 and not re.search(r"\b(?:was|were|has|had)\b", before):
        liner = sentence[verb.end() :]
    elif not strict and _IS_DESCRIPTION.match(sentence):
        liner = _IS_DESCRIPTION.sub("", sentence)
    else:
        return None
    liner = liner.strip(" .,")
    trailing_place = _TRAILING_PLACE.search(liner)
    if trailing_place:
        liner = liner[: trailing_place.start()]
    fields.one_liner = liner[:ONE_LINER_MAX]
    fields.stage = stage_of(text, growth_word=False)
    fields.stage_present = fields.stage is not None
    fields.location = _prose_place(text, name) or (
        trailing_place.group(1) if trailing_place else ""
    )
    if strict and (
        not (fields.stage or _RAISING.search(text)) or _SUPPORT_ORG.search(name) or not liner
    ):
        return None
    return name, fields


def _prose_units(lines: list[_Line], used: set[int]) -> Iterator[tuple[int, int, str]]:
    """Paragraphs (and each list item on its own) of lines that were not list entries."""
    current: list[int] = []
    for index, line in enumerate([*lines, _Line(0, 0, "")]):
        item = bool(_BULLET.match(line.body)) and not line.decoration
        if line.blank or index in used or item or line.decoration:
            if current:
                yield (
                    lines[current[0]].start,
                    lines[current[-1]].end,
                    " ".join(lines[i].body.strip() for i in current),
                )
            current = [index] if item and index not in used else []
            continue
        current.append(index)


def _same_company(draft: _Draft, name: str) -> bool:
    key = company_name_key(name)
    if not key:
        return False
    if company_name_key(draft.name) == key:
        return True
    # "Ortolan" in a note means the list's "Ortolan Health".
    first = company_name_key(draft.name.split()[0])
    return len(_words(name)) == 1 and first == key and len(key) >= 4


def _described(after: str, following: str) -> str | None:
    """What a company does, from the words after its name in a sentence (`, which has built
    …`, ` makes …`, `, a Porto company working on …`) or from the next sentence when this one
    ends on the name (`… is Quillon Robotics. They make …`)."""
    if after.strip(" .!:") == "" and following:
        match = _PRONOUN_DOES.match(following)
    else:
        match = _NAME_DOES.match(after)
    if match is None:
        return None
    what = match.group("what") or match.groupdict().get("what2") or ""
    liner = _DESCRIPTION_END.split(what, maxsplit=1)[0]
    return liner.strip(" .,;:") or None


def _prose_sentences(text: str) -> list[tuple[str, _Fields]]:
    """Every company a prose paragraph pitches, sentence by sentence: a capitalized name
    followed by what it does, with the stage and place said before the next company."""
    sentences = [sentence.strip() for sentence in _split_sentences(text[:LINE_MAX])]
    found: list[tuple[int, str, str, int, str]] = []
    for position, sentence in enumerate(sentences[:100]):
        following = sentences[position + 1] if position + 1 < len(sentences) else ""
        for run in _CAPITALIZED_RUN.finditer(sentence[:1_000]):
            words = run.group().split(" ")
            while words and words[0].casefold().strip("'’") in _SENTENCE_STARTERS:
                words.pop(0)
            name = " ".join(words)
            if (
                not name
                or len(words) > 5
                or not _valid_name(name)
                or _SUPPORT_ORG.search(name)
                or (len(name) < 3 and not name[:1].isdigit())
            ):
                continue
            after = sentence[run.end() : run.end() + 1_000]
            site = re.match(r"\s*\(([^()]{1,120})\)", after)  # `Pinewood Labs (pinewood.ai) builds`
            if site:
                after = after[site.end() :]
            liner = _described(after, following)
            # "…, which makes seed investments": an investor describing itself.
            if liner is None or re.search(r"\binvest", liner, re.IGNORECASE):
                continue
            if not any(company_name_key(name) == company_name_key(f[1]) for f in found):
                found.append((position, name, liner, run.start(), site.group(1) if site else ""))
            break
    mentions: list[tuple[str, _Fields]] = []
    for number, (position, name, liner, offset, url) in enumerate(found):
        end = found[number + 1][0] if number + 1 < len(found) else len(sentences)
        # From the name to the sentence before the next company: its stage and place.
        parts = [sentences[position][offset:], *sentences[position + 1 : end]]
        segment = ". ".join(parts)
        stage = stage_of(segment, growth_word=False)
        if stage is None and not _RAISING.search(segment):
            continue
        fields = _Fields(stage=stage, stage_present=stage is not None)
        website = _site_from(url, frozenset()) if url else None
        fields.url = website.host if website else ""
        trailing = _TRAILING_PLACE.search(liner)
        if trailing:
            liner = liner[: trailing.start()]
        fields.one_liner = liner[:ONE_LINER_MAX]
        fields.location = _prose_place(segment, name) or (trailing.group(1) if trailing else "")
        mentions.append((name, fields))
    return mentions


def _prose_draft(name: str, fields: _Fields, start: int, end: int) -> _Draft:
    return _Draft(
        name=name,
        start=start,
        end=end,
        url=fields.url,
        one_liner=fields.one_liner,
        sector=judge_sector(fields.one_liner),
        stage=fields.stage,
        location=fields.location,
        structured=False,
    )


def _read_prose(email: DealFlowEmail, reader: _Reader) -> None:
    lines = _lines(email.text)
    for start, end, text in _prose_units(lines, reader.used):
        if len(reader.drafts) >= MAX_CANDIDATES:
            return
        # A paragraph that pitches several companies is read sentence by sentence.
        several = _prose_sentences(text) if len(text) > 40 else []
        if len(several) >= 2 or (several and _prose_mention(text, strict=False) is None):
            for name, fields in several:
                mention = _prose_draft(name, fields, start, end)
                known = next((d for d in reader.drafts if _same_company(d, name)), None)
                if known is not None:
                    known.fill(mention)
                elif len(reader.drafts) < MAX_CANDIDATES:
                    reader.drafts.append(mention)
            continue
        # A paragraph that reads like a pitch is a candidate of its own; a looser mention
        # ("Ortolan is shift swapping for …") only adds to a company the list names.
        found = _prose_mention(text, strict=True)
        standalone = found is not None
        found = found or _prose_mention(text, strict=False)
        if found is None:
            continue
        name, fields = found
        mention = _Draft(
            name=name,
            start=start,
            end=end,
            one_liner=fields.one_liner,
            sector=judge_sector(fields.one_liner),
            stage=fields.stage,
            location=fields.location,
            structured=False,
        )
        known = next((d for d in reader.drafts if _same_company(d, name)), None)
        if known is not None:
            known.fill(mention)
        elif standalone:
            reader.drafts.append(mention)


# -- putting it together ------------------------------------------------------------------------


def _merged(drafts: list[_Draft]) -> list[_Draft]:
    by_key: dict[str, _Draft] = {}
    by_host: dict[str, _Draft] = {}
    result: list[_Draft] = []
    for draft in drafts:
        key = company_name_key(draft.name) or draft.name.casefold()
        known = by_key.get(key) or (by_host.get(draft.url) if draft.url else None)
        if known is not None:
            known.fill(draft)
            continue
        by_key[key] = draft
        if draft.url:
            by_host[draft.url] = draft
        result.append(draft)
    return result


def _is_own(draft: _Draft, keys: set[str], domains: frozenset[str]) -> bool:
    key = company_name_key(draft.name)
    if draft.url and registrable_domain(draft.url) in domains:
        return True
    return bool(key) and any(key == own or (len(key) >= 5 and own.startswith(key)) for own in keys)


def _apply_site_corrections(text: str, drafts: list[_Draft], domains: frozenset[str]) -> None:
    """`correction, Kestrelwave's site is kestrelwave.io`: a later message fixes a website."""
    for match in _SITE_CORRECTION.finditer(text[:200_000]):
        site = _site_from(match.group(2), domains)
        if site is None or not site.host:
            continue
        for draft in drafts:
            if _same_company(draft, match.group(1)):
                draft.url = site.host
                break


def extract_companies(email: DealFlowEmail) -> list[ExtractedCompany]:
    """Every company the email offers for consideration, in order of first mention, with
    what the email says about it. [] for an email without a company list."""
    if not email.text.strip():
        return []
    domains = _own_domains(email)
    reader = _Reader(email, domains)
    reader.read()
    _read_prose(email, reader)
    own = _own_keys(email, domains)
    default_place = _LIST_DEFAULT_PLACE.search(email.text[:50_000])
    drafts = _merged(reader.drafts)
    _apply_site_corrections(email.text, drafts, domains)
    companies: list[ExtractedCompany] = []
    for draft in drafts:
        if _is_own(draft, own, domains):
            continue
        if not draft.location and default_place:
            draft.location = default_place.group(1).strip()
        if draft.sector is None and draft.one_liner:
            draft.sector = judge_sector(draft.one_liner)
        source = email.text[draft.start : draft.end]
        companies.append(
            ExtractedCompany(
                name=draft.name,
                url=draft.url,
                one_liner=draft.one_liner[:ONE_LINER_MAX],
                sector=draft.sector,
                stage=draft.stage,
                location=draft.location[:LOCATION_MAX],
                span=Span(start=draft.start, end=draft.end),
                source=source[:SOURCE_MAX],
                notes=draft.notes[:10],
            )
        )
    return companies
