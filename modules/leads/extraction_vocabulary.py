"""The words, patterns and limits the offline deal-flow extractor reads an email with."""

from __future__ import annotations

import re

from compound.modules.leads.contract import Sector

MAX_CANDIDATES = 1_000
"""No real deal-flow email lists more; a hostile one must not produce an unbounded answer."""
LINE_MAX = 4_000
"""Characters of one line that are read: a list entry is never longer, and it keeps the
work per line bounded on a giant single-line input."""
TOKEN_MAX = 300
NAME_WORDS_MAX = 60

# -- vocabularies ---------------------------------------------------------------------------

SECTOR_LABELS: dict[str, Sector] = {
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


SECTOR_PATTERNS = _compile_sector_words()
BUYER = re.compile(r"\s(?:for|pour|für|para|per|aimed at)\s", re.IGNORECASE)

STAGE = re.compile(
    r"\b(?:(?P<pre>pr[eé][\s-]?(?:seed|amor[cç]age))|(?P<seed>seed|amor[cç]age)"
    r"|s[eé]ries?\s+(?P<series>[a-h])\b|(?P<growth>growth[\s-]stage|late[\s-]stage))",
    re.IGNORECASE,
)
# A capitalized stage word inside a flattened table row ("… employers Seed Bend, OR").
STAGE_TOKEN = re.compile(r"(?<!\S)(?:Pre-?[Ss]eed|Pre [Ss]eed|Seed|S[eé]ries? [A-H])(?!\S)")

# What people write in a website field when there is no website.
NOT_A_SITE = frozenset(
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
NOT_A_SITE_PHRASE = re.compile(
    r"\b(?:site coming soon|coming soon|launching soon|no website yet|no website|none yet"
    r"|site en construction|linkedin only|sito in arrivo|en construcci[oó]n|em constru[cç][aã]o"
    r"|sito in costruzione)\b",
    re.IGNORECASE,
)
PROFILE_HOSTS = frozenset(
    {
        "linkedin.com", "twitter.com", "x.com", "facebook.com", "instagram.com",
        "crunchbase.com", "angel.co", "wellfound.com", "youtube.com", "tiktok.com",
        "medium.com", "f6s.com",
    }
)  # fmt: skip
FREE_MAIL = frozenset(
    {
        "gmail", "googlemail", "outlook", "hotmail", "yahoo", "icloud", "proton", "protonmail",
        "aol", "gmx", "web", "live", "me", "mail", "fastmail", "hey", "localhost", "compound",
    }
)  # fmt: skip
FILE_EXTENSIONS = frozenset(
    {"pdf", "doc", "docx", "png", "jpg", "jpeg", "gif", "xls", "xlsx", "ppt", "pptx", "csv",
     "zip", "txt", "js", "py", "md", "ts", "json", "html", "htm", "key", "mov", "mp4"}
)  # fmt: skip

# Words that join the capitalized words of a name or place ("Sol de Campo", "Peso da Régua").
CONNECTORS = frozenset(
    {
        "a", "an", "and", "&", "for", "of", "the", "to", "in", "on", "under", "with", "de",
        "da", "do", "das", "dos", "del", "la", "le", "les", "et", "und", "y", "e", "van",
        "von", "der", "di", "du", "des", "am", "im", "upon", "sur", "en", "+",
    }
)  # fmt: skip
PLACE_CONNECTORS = frozenset(
    {"de", "da", "do", "das", "dos", "del", "la", "le", "les", "am", "an", "der", "im",
     "upon", "on", "of", "the", "sur", "en", "di", "du"}
)  # fmt: skip
NOT_NAMES = frozenset(
    {
        "company", "company name", "name", "startup", "website", "site", "web", "stage",
        "sector", "industry", "total", "note", "notes", "location", "city", "hq", "url",
        "tbd", "tba", "n/a", "unknown", "unnamed", "none", "stealth", "misc", "other",
        "highlight", "highlights", "update", "updates", "fyi", "ps", "reminder", "format",
        "summary", "intro", "agenda", "announcement", "bonus", "also", "re", "fwd",
    }
)  # fmt: skip
LINK_LABELS = re.compile(
    r"\s+(?:visit (?:the )?(?:site|website)|website|site|link|learn more|here|visit)$",
    re.IGNORECASE,
)
# Names of organisations that invest, host, advise or bank rather than raise: only used
# where the evidence for a candidate is weak (prose).
SUPPORT_ORG = re.compile(
    r"\b(?:capital|ventures|partners|angels|fund|syndicate|bank|llp|pllc|properties|realty"
    r"|estates|accelerator|incubator|foundation|credit union|catering|law group|advogados"
    r"|abogados|avvocati|rechtsanw[aä]lte|legal|attorneys|network|group)\b",
    re.IGNORECASE,
)
# A heading that opens a section of non-candidates (news, sponsors, partners, events…).
EXCLUDING_HEADING = re.compile(
    r"\b(?:news|sponsors?|partners?|events?|co-?investors?|investors|alumni|thanks?|perks"
    r"|judges|press|in the media|venue|housekeeping|already funded|not raising|exits?"
    r"|acquisitions?|inversores|investidores|investitori|patrocinadores|patrocinio"
    r"|partner del|socios|parceiros|financiadores|sponsoring)\b",
    re.IGNORECASE,
)
# A heading that introduces candidates even when it names partners or a portfolio
# ("Our partners' portfolio companies raising now").
INCLUDING_HEADING = re.compile(
    r"\b(?<!not )(?:raising|raise|fundraising|pitching|open rounds?"
    r"|looking for (?:capital|investors)"
    r"|levantando|levantan|raccogliendo|raccolta|captando|captação|in raccolta)\b",
    re.IGNORECASE,
)
# Table columns that hold someone other than the company (an investor, the person who
# introduced it) or notes: read past, never a candidate.
OTHER_COLUMNS = frozenset(
    {
        "referred", "referrer", "referral", "intro", "introduced", "introducer", "source",
        "investor", "investors", "lead", "notes", "note", "contact", "founder", "founders",
        "email", "owner", "via", "comments", "comment", "status", "raise", "raising",
        "amount", "ask", "date", "partner", "scout", "by", "from",
    }
)  # fmt: skip
# Verbs that introduce what a company does, in prose ("Sorrel builds …").
DOES = re.compile(
    r"\b(?:builds?|building|does|offers|offering|runs|sells|selling|issues|makes|making"
    r"|provides|providing|develops|developing|automates|turns|operates|designs|creates"
    r"|helps|lets|connects|delivers|manages|brings|powers|gives|focuses on)\s+",
    re.IGNORECASE,
)
IS_DESCRIPTION = re.compile(
    r"^is\s+(?!(?:the|a|an|one|already|raising|still|in|on|our|also|currently|now|looking"
    r"|hiring|growing|half|fully|going|based|led|not|very|my|your|their|its|backed)\b)",
    re.IGNORECASE,
)
TRAILING_PLACE = re.compile(r"\s+in ([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)$")
RAISING = re.compile(r"\b(?:rais(?:e|es|ing)|round|allocation|tickets?)\b", re.IGNORECASE)
SENTENCE_STARTERS = frozenset(
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
ABBREVIATIONS = frozenset(
    {"st", "co", "inc", "ltd", "mr", "mrs", "ms", "dr", "mt", "ft", "no", "vs", "jr", "sr",
     "corp", "e.g", "i.e", "approx", "etc", "u.s", "dept", "ave"}
)  # fmt: skip

WIDE_SPACE = re.compile(r"\s{3,}")
NON_SPACE = re.compile(r"\S+")
QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣–—+]+|\(?\d{1,3}[.)]|#\d{1,4}[.):]?)\s*")
STRONG_SEPARATOR = re.compile(
    r"\s*\|\s*|\s+[—–]+\s+|\s+-{1,2}\s+|\s+[·•]\s+|\s+/{1,2}\s+|\s*;\s+|\t+|\s{2,}|\s+:\s+"
)
MARKDOWN_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\(([^()\s]{1,500})\)")
PARENTHESES = re.compile(r"\(([^()]{1,300})\)")
URL = re.compile(
    r"(?:https?://)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?::\d{1,5})?"
    r"(?:[/?#]\S*)?",
    re.IGNORECASE,
)
EMAIL_DOMAIN = re.compile(r"[\w.+-]{1,64}@([a-z0-9.-]{1,253}\.[a-z]{2,24})", re.IGNORECASE)
KEY_VALUE = re.compile(r"^\s*([^\W\d][\w '’/()-]{0,60}?)\s*:\s+(\S.*)$")
LIST_DEFAULT_PLACE = re.compile(
    r"\b(?:everyone|every (?:team|company|founder)|all (?:of )?(?:them|teams|companies|"
    r"founders)|all)\s+(?:is|are)\s+(?:based|located|headquartered)\s+in\s+"
    r"([A-Z][^\s,;.]{0,40}(?:[ ,]{1,2}[A-Z][^\s,;.]{0,40}){0,3})"
)
OWN_NAME_HERE = re.compile(r"\b((?:[A-Z][\w&'’-]*\s+){0,4}[A-Z][\w&'’-]*)\s+here\b")

# Chat pastes (Slack, Teams): `[10:42] maria: …`, `bob: …`, a `Maria Okafor, 11:02 AM`
# author line, and the chatter words a message opens with.
_CHAT_STAMP = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?\s?(?:[AaPp]\.?[Mm]\.?)?[\])]?"
CHAT_PREFIX = re.compile(r"^\s*" + _CHAT_STAMP + r"\s+@?[^\s:][^:\n]{0,40}?:\s+")
CHAT_HANDLE = re.compile(r"^\s*@?([\w][\w.'’-]{0,24}(?: [A-Z][\w.'’-]{0,24})?):\s+")
CHAT_AUTHOR = re.compile(
    r"^\s*[A-Z][\w'’.-]{0,30}(?: [A-Z][\w'’.-]{0,30}){0,3},?\s+(?:(?:today|yesterday|\w{3,9}day)"
    r"\s+(?:at\s+)?)?\d{1,2}:\d{2}\s?(?:[AaPp]\.?[Mm]\.?)?\s*$"
)
CHAT_FILLER = re.compile(
    r"^(?:(?:\+1|oh|ok|okay|and|also|plus|check out|have a look at|look at|fyi|btw|nice|cool"
    r"|ooh|yes|yeah|agreed|wow|another one|one more|same)(?!\w|\.\w)[\s,.!:;-]*)+",
    re.IGNORECASE,
)
# "correction, Kestrelwave's site is kestrelwave.io": a later message fixes a website.
SITE_CORRECTION = re.compile(
    r"([A-Z0-9][\w.&'’-]{0,40}(?: [A-Z0-9][\w.&'’-]{0,40}){0,3})(?:'s|’s)\s+(?:web\s?site|site"
    r"|url|domain|homepage|link)\s+is\s+(?:actually\s+|really\s+|now\s+)?(\S{1,200})"
)
# Who brought the company in, at the end of an entry: `…, via Olmeda Capital`,
# `(intro from Kari Lund at Fjellheim Ventures)`. The company is the candidate, not them.
REFERRAL = re.compile(
    r"\s*\((?:intro(?:duced)?|referred|referral|ref|h/t|via|thanks to|warm intro)\b"
    r"[^()]{0,200}\)"
    r"|(?:,|;|\s[—–-])\s*(?:via|intro(?:duced)? (?:by|from)|referred by|h/t)\s+"
    r"[A-Z][^,;()—–|]{0,80}$",
    re.IGNORECASE,
)
# "they do lab-notebook search …": the pronoun and verb are not part of the one-liner.
PRONOUN_LEAD = re.compile(
    r"^(?:they|it|which|who)(?:'re|’re| are| is)?\s+(?:do|does|doing|build|builds|building"
    r"|make|makes|making|sell|sells|selling|offer|offers|run|runs|provide|provides)\s+",
    re.IGNORECASE,
)
# Capitalized words in a row: a name in running text (`Q.Labs`, `Harrow & Pine`, `3Loop`).
CAPITALIZED_RUN = re.compile(
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
NAME_DOES = re.compile(
    r"^(?:\s*,\s*(?:which|that|who)\s+|\s+)" + _VERBS + r"\s+(?P<what>\S.*)"
    r"|^(?:\s*,|\s+is)\s+an?\s+(?:[\w'’-]+\s+){0,3}?(?:company|team|startup|outfit|spin-?out)"
    r"\s+(?:(?:that|which)\s+\w+|working on|building|making|doing|developing|selling"
    r"|focused on|behind|whose\s+\w+)\s+(?P<what2>\S.*)",
    re.IGNORECASE,
)
PRONOUN_DOES = re.compile(
    r"^(?:they|it|the company|the team|the startup)\s+" + _VERBS + r"\s+(?P<what>\S.*)",
    re.IGNORECASE,
)
DESCRIPTION_END = re.compile(
    r";|\s[—–]\s|,\s+(?:and|but|so|which|who|with|letting|while|though|although)\b"
    r"|\s+and\s+(?:is|are|has|have|already|they|we|it)\b|,\s+(?=(?:pre-?seed|seed|series)\b)",
    re.IGNORECASE,
)
# Delimiters of a table pasted as text with a header row (pipes have their own reader).
DELIMITERS = (";", "\t", ",")

ROLES: tuple[tuple[str, frozenset[str]], ...] = (
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

# The keys of forwarded mail headers (`From: …`, `Betreff: …`): a run of them looks like a
# list of `Name: what` lines.
MAIL_HEADER_KEYS = frozenset(
    re.findall(
        r"\S+",
        "from to cc bcc date sent subject reply-to von an gesendet betreff datum de para "
        "asunto enviado fecha objet envoyé à van aan verzonden onderwerp",
    )
)
# An entry whose text is news about a company (a round closed, an exit) reports on it
# rather than offering it: `Coralstone — closed a $40M Series B`.
NEWS_TAIL = re.compile(
    r"^(?:just\s+|recently\s+|has\s+|have\s+|was\s+)?(?:closed|raised|acquired|merged|"
    r"exited|sold\s+to|shut\s+down|went\s+public|announced)\b",
    re.IGNORECASE,
)
