"""Word lists the demo data generator draws from: sectors, cities, names, titles, note lines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sector:
    label: str
    name_endings: tuple[str, ...]
    products: tuple[str, ...]
    customers: tuple[str, ...]
    topics: tuple[str, ...]
    pain_points: tuple[str, ...]
    titles: tuple[str, ...]


@dataclass(frozen=True)
class City:
    name: str
    country: str
    legal_suffix: str
    # A national top-level domain some local companies use instead of a generic one.
    national_tld: str | None


SECTORS: tuple[Sector, ...] = (
    Sector(
        label="fintech",
        name_endings=("Pay", "Ledger", "Capital", "Finance", "Treasury", "Money"),
        products=(
            "payment reconciliation software",
            "a treasury management platform",
            "embedded lending APIs",
            "spend management cards",
        ),
        customers=("mid-market finance teams", "marketplaces", "neobanks", "SaaS companies"),
        topics=("payment reconciliation", "PSD2 compliance", "FX fees", "month-end close"),
        pain_points=(
            "reconciling three payment providers takes a week every month",
            "FX fees on supplier payments are eating into margin",
            "auditors keep asking for a trail the current tools cannot produce",
            "card spend is approved by email and nobody sees the totals",
        ),
        titles=("Head of Finance Operations", "Compliance Officer"),
    ),
    Sector(
        label="climate",
        name_endings=("Energy", "Carbon", "Grid", "Solar", "Climate", "Power"),
        products=(
            "carbon accounting software",
            "battery storage optimisation",
            "grid forecasting models",
            "supplier emissions tracking",
        ),
        customers=("utilities", "manufacturers", "commercial landlords", "food brands"),
        topics=("Scope 3 reporting", "CSRD readiness", "supplier emissions data", "grid fees"),
        pain_points=(
            "supplier emissions data arrives as spreadsheets in twelve formats",
            "CSRD reporting deadline is in two quarters and nothing is automated",
            "peak grid fees doubled after the last tariff change",
            "the sustainability team is two people covering forty sites",
        ),
        titles=("Head of Sustainability", "Energy Analyst"),
    ),
    Sector(
        label="devtools",
        name_endings=("Labs", "Code", "Stack", "Cloud", "Dev", "Build"),
        products=(
            "a CI acceleration service",
            "feature flagging for mobile apps",
            "an internal developer portal",
            "API observability",
        ),
        customers=(
            "platform teams",
            "mobile engineering teams",
            "scale-ups",
            "open-source maintainers",
        ),
        topics=("CI build times", "the self-hosted option", "SSO and SCIM", "usage-based pricing"),
        pain_points=(
            "CI pipelines take forty minutes and block every release",
            "nobody knows which service owns which API",
            "flaky tests cost the team a day a week",
            "the self-built tooling is maintained by one engineer who is leaving",
        ),
        titles=("Platform Engineering Lead", "Developer Experience Manager"),
    ),
    Sector(
        label="healthtech",
        name_endings=("Health", "Care", "Med", "Clinic", "Vita"),
        products=(
            "patient scheduling software",
            "remote monitoring for chronic care",
            "clinical documentation assistants",
            "a pharmacy inventory platform",
        ),
        customers=("clinic groups", "hospitals", "home-care providers", "pharmacy chains"),
        topics=("GDPR and patient data", "EHR integration", "the pilot at two clinics", "HL7 FHIR"),
        pain_points=(
            "no-shows cost each clinic about a fifth of its appointment slots",
            "clinicians spend two hours a day on documentation",
            "the EHR vendor charges for every integration",
            "patient data cannot leave the EU, which rules out most vendors",
        ),
        titles=("Medical Director", "Head of Clinical Operations"),
    ),
    Sector(
        label="logistics",
        name_endings=("Logistics", "Freight", "Fleet", "Cargo", "Routes"),
        products=(
            "route planning for last-mile delivery",
            "a freight booking marketplace",
            "warehouse slotting software",
            "fleet telematics",
        ),
        customers=("3PL operators", "grocery chains", "freight forwarders", "e-commerce brands"),
        topics=("route optimisation", "carrier onboarding", "the TMS integration", "fuel costs"),
        pain_points=(
            "dispatchers still plan routes in spreadsheets every morning",
            "carrier invoices do not match the booked rates",
            "peak season doubles volume and the warehouse runs out of slots",
            "customers get no delivery window until the truck leaves",
        ),
        titles=("Fleet Operations Lead", "Supply Chain Director"),
    ),
    Sector(
        label="security",
        name_endings=("Security", "Shield", "Guard", "Cyber", "Sentry"),
        products=(
            "cloud security posture management",
            "phishing simulation and training",
            "secrets detection for code repositories",
            "vendor risk assessments",
        ),
        customers=(
            "regulated enterprises",
            "SaaS security teams",
            "banks",
            "public sector agencies",
        ),
        topics=("SOC 2 evidence", "the pen-test findings", "vendor questionnaires", "SSO rollout"),
        pain_points=(
            "security questionnaires from customers take three weeks each",
            "secrets keep leaking into public repositories",
            "the SOC 2 audit is in four months and evidence lives in screenshots",
            "alert fatigue: the team ignores most findings",
        ),
        titles=("CISO", "Security Engineer"),
    ),
    Sector(
        label="edtech",
        name_endings=("Learning", "Academy", "Edu", "Tutor", "Campus"),
        products=(
            "adaptive maths tutoring",
            "a corporate learning platform",
            "language courses for hospital staff",
            "exam proctoring software",
        ),
        customers=("secondary schools", "HR teams", "universities", "training providers"),
        topics=(
            "the school-year rollout",
            "LMS integration",
            "learner engagement",
            "licence counts",
        ),
        pain_points=(
            "course completion sits below twenty percent",
            "teachers cannot see which students are falling behind",
            "the LMS integration breaks with every vendor update",
            "budget is only released at the start of the school year",
        ),
        titles=("Head of Learning & Development", "Curriculum Lead"),
    ),
    Sector(
        label="biotech",
        name_endings=("Bio", "Therapeutics", "Genomics", "Biosciences"),
        products=(
            "protein design models",
            "lab automation software",
            "a sample tracking LIMS",
            "cell therapy manufacturing tools",
        ),
        customers=("research labs", "CROs", "pharma R&D teams", "university spin-outs"),
        topics=(
            "the LIMS migration",
            "GxP validation",
            "instrument integrations",
            "data retention",
        ),
        pain_points=(
            "sample metadata is typed by hand and often wrong",
            "GxP validation of every software change takes months",
            "instrument data sits on lab PCs without backups",
            "scientists wait days for the bioinformatics team",
        ),
        titles=("Head of R&D", "Lab Operations Manager"),
    ),
    Sector(
        label="data infrastructure",
        name_endings=("Analytics", "Data", "AI", "Insights", "Metrics"),
        products=(
            "a real-time analytics database",
            "data quality monitoring",
            "a semantic layer for BI tools",
            "document extraction models",
        ),
        customers=("data teams", "insurers", "retailers", "media companies"),
        topics=(
            "warehouse costs",
            "the dbt integration",
            "data quality alerts",
            "on-prem deployment",
        ),
        pain_points=(
            "warehouse bills tripled in a year",
            "dashboards disagree because every team defines revenue differently",
            "broken pipelines are found by executives, not by the data team",
            "claims documents are still keyed in by hand",
        ),
        titles=("Head of Data", "Analytics Engineer"),
    ),
    Sector(
        label="e-commerce",
        name_endings=("Commerce", "Cart", "Retail", "Market", "Shop"),
        products=(
            "returns management software",
            "product information management",
            "a B2B ordering portal",
            "dynamic pricing",
        ),
        customers=("D2C brands", "wholesalers", "fashion retailers", "furniture brands"),
        topics=("the returns flow", "Shopify integration", "B2B pricing rules", "peak season"),
        pain_points=(
            "returns cost more than shipping and nobody knows why items come back",
            "product data is copied by hand into six channels",
            "wholesale customers still order by email and PDF",
            "prices are updated once a month while competitors change daily",
        ),
        titles=("Head of E-commerce", "Merchandising Manager"),
    ),
)

NAME_STARTS: tuple[str, ...] = (
    "Northwind", "Bluefin", "Kestrel", "Ironbark", "Lumen", "Cobalt", "Harbor", "Juniper",
    "Quartz", "Polar", "Summit", "Meridian", "Tidal", "Ember", "Granite", "Aurora", "Cedar",
    "Falcon", "Helix", "Orbit", "Riverstone", "Sable", "Vertex", "Willow", "Zephyr", "Alder",
    "Basalt", "Cirrus", "Driftwood", "Evergreen", "Fjord", "Glacier", "Heron", "Indigo",
    "Jasper", "Larch", "Magpie", "Nimbus", "Osprey", "Pebble", "Quill", "Rowan", "Saffron",
    "Tundra", "Vela", "Wren", "Yarrow", "Atlas", "Beacon", "Canopy", "Ferro", "Gannet",
    "Halcyon", "Kite", "Lark", "Marlin", "Nova", "Opal", "Pioneer", "Redwood", "Solstice",
    "Tern", "Verdant", "Brightwater", "Copperleaf", "Greenfield", "Silverline", "Stonebridge",
    "Clearpath", "Lighthouse",
)  # fmt: skip

STAGES: tuple[tuple[str, int, int], ...] = (
    # (stage, smallest team, largest team)
    ("pre-seed", 2, 8),
    ("seed", 5, 25),
    ("series A", 20, 80),
    ("series B", 60, 250),
    ("series C", 150, 600),
)

CITIES: tuple[City, ...] = (
    City("Berlin", "Germany", "GmbH", "de"),
    City("Munich", "Germany", "GmbH", "de"),
    City("Hamburg", "Germany", "GmbH", "de"),
    City("Paris", "France", "SAS", "fr"),
    City("Lyon", "France", "SAS", "fr"),
    City("London", "United Kingdom", "Ltd", "co.uk"),
    City("Manchester", "United Kingdom", "Ltd", "co.uk"),
    City("Amsterdam", "the Netherlands", "B.V.", "nl"),
    City("Rotterdam", "the Netherlands", "B.V.", "nl"),
    City("Stockholm", "Sweden", "AB", "se"),
    City("Copenhagen", "Denmark", "ApS", "dk"),
    City("Oslo", "Norway", "AS", "no"),
    City("Helsinki", "Finland", "Oy", "fi"),
    City("Madrid", "Spain", "S.L.", "es"),
    City("Barcelona", "Spain", "S.L.", "es"),
    City("Lisbon", "Portugal", "Lda", "pt"),
    City("Milan", "Italy", "S.r.l.", "it"),
    City("Warsaw", "Poland", "sp. z o.o.", "pl"),
    City("Prague", "Czechia", "s.r.o.", "cz"),
    City("Vienna", "Austria", "GmbH", "at"),
    City("Zurich", "Switzerland", "AG", "ch"),
    City("Dublin", "Ireland", "Ltd", "ie"),
    City("Tallinn", "Estonia", "OÜ", "ee"),
    City("San Francisco", "the United States", "Inc.", None),
    City("New York", "the United States", "Inc.", None),
    City("Austin", "the United States", "Inc.", None),
    City("Boston", "the United States", "Inc.", None),
    City("Seattle", "the United States", "Inc.", None),
    City("Denver", "the United States", "Inc.", None),
    City("Chicago", "the United States", "Inc.", None),
    City("Atlanta", "the United States", "Inc.", None),
    City("Toronto", "Canada", "Inc.", "ca"),
)

GENERIC_TLDS: tuple[str, ...] = ("com", "com", "com", "io", "io", "ai", "co", "dev")
PERSONAL_EMAIL_PROVIDERS: tuple[str, ...] = (
    "gmail.com",
    "outlook.com",
    "proton.me",
    "icloud.com",
    "fastmail.com",
)

FIRST_NAMES: tuple[str, ...] = (
    "Amara", "Kenji", "Sofia", "Mateo", "Priya", "Lars", "Chiara", "Oluwaseun", "Mei", "Ahmed",
    "Ingrid", "Diego", "Fatima", "Noah", "Aisha", "Jonas", "Yuki", "Camille", "Tomasz", "Leila",
    "Rafael", "Hana", "Emeka", "Freya", "Arjun", "Zofia", "Malik", "Elena", "Santiago", "Nadia",
    "Kwame", "Ana", "Mikael", "Linh", "Omar", "Greta", "Ravi", "Isabel", "Tariq", "Astrid",
    "José", "Zoë", "Björn", "Łukasz", "Søren", "Chloé", "Daniel", "Sarah", "Michael", "Laura",
    "David", "Julia", "Thomas", "Emma", "Ji-woo", "Wei", "Nkechi", "Mehmet", "Aylin", "Pedro",
    "Marta", "Luca", "Giulia", "Sven", "Anouk", "Niamh", "Connor", "Siobhan", "Rohan", "Ananya",
    "Yusuf", "Layla", "Kofi", "Abena", "Hiroshi", "Sakura", "Mateusz", "Katarzyna", "Olivia",
    "Liam",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Okafor", "Nguyen", "García", "Müller", "Nowak", "Kowalski", "O'Brien", "Svensson", "Rossi",
    "Dubois", "Haddad", "Tanaka", "Kim", "Patel", "Mensah", "Silva", "Andersen", "Novák",
    "Yılmaz", "Cohen", "van der Berg", "Schmidt", "Fischer", "Moreau", "Lefebvre", "Bianchi",
    "Romano", "Fernández", "López", "Martins", "Costa", "Jansen", "de Vries", "Lindqvist",
    "Nielsen", "Hansen", "Virtanen", "Korhonen", "Horvat", "Popescu", "Ivanova", "Petrov",
    "Khan", "Sharma", "Iyer", "Chen", "Wang", "Zhang", "Park", "Lee", "Sato", "Suzuki",
    "Adeyemi", "Boateng", "Abebe", "Mwangi", "Hassan", "Rahman", "Demir", "Kaya", "Smith",
    "Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Murphy", "Kelly", "Walsh",
    "Santos", "Oliveira", "Ramírez", "Torres", "Eriksson", "Larsen", "Dąbrowski", "Weber",
    "Becker", "Schneider",
)  # fmt: skip

# At most one of each per company; founders are the contacts a CRM meets first.
LEADERSHIP_TITLES: dict[str, int] = {
    "CEO": 3,
    "Co-founder & CEO": 3,
    "CTO": 2,
    "Co-founder & CTO": 2,
    "COO": 1,
    "CFO": 1,
    "Chief Revenue Officer": 1,
}
# Drawn with weights: companies have more managers and engineers than vice presidents.
TEAM_TITLES: tuple[tuple[str, int], ...] = (
    ("VP Engineering", 2),
    ("VP Sales", 2),
    ("VP Marketing", 1),
    ("Head of Sales", 3),
    ("Head of Product", 3),
    ("Head of Operations", 2),
    ("Head of Partnerships", 1),
    ("Head of People", 1),
    ("Engineering Manager", 3),
    ("Staff Engineer", 2),
    ("Senior Software Engineer", 3),
    ("Product Manager", 3),
    ("Account Executive", 3),
    ("Sales Development Representative", 2),
    ("Customer Success Manager", 3),
    ("Procurement Manager", 3),
    ("IT Manager", 2),
    ("Finance Manager", 2),
    ("Marketing Manager", 2),
    ("Data Scientist", 1),
    ("Office Manager", 1),
)
TEAM_TITLE_NAMES = [title for title, _ in TEAM_TITLES]
TEAM_TITLE_WEIGHTS = [weight for _, weight in TEAM_TITLES]

NOTE_HEADINGS: tuple[str, ...] = (
    "Discovery call",
    "Intro call",
    "Demo recap",
    "Pricing discussion",
    "Quarterly check-in",
    "Pilot review",
    "Meeting notes",
)
SUMMARIES: tuple[str, ...] = (
    "Walked through how {company} handles {topic} today; {contact} owns the budget.",
    "{contact} joined with two colleagues; strong interest in the API and {topic}.",
    "Intro came through a mutual investor; they are reviewing vendors this quarter.",
    "They run {topic} on a homegrown tool and want out of maintaining it.",
    "Good energy on the call; {contact} asked detailed questions about {topic}.",
    "Renewal conversation: usage is up {number}% since the pilot.",
    "Competitive deal: they are also talking to two larger vendors.",
    "Team of about {team} people; decision expected within {weeks} weeks.",
)
NEXT_STEPS: tuple[str, ...] = (
    "Send proposal by Friday",
    "Book a technical deep-dive with their engineers",
    "Share the SOC 2 report and the DPA",
    "Introduce them to a reference customer in {sector}",
    "Follow up after their board meeting",
    "Draft a pilot plan with success criteria",
    "Send pricing for {seats} seats",
    "Loop in procurement about the contract template",
    "Schedule a demo for the wider team",
)
COMPANY_TASKS: tuple[str, ...] = (
    "Send proposal to {company}",
    "Book demo with {company}",
    "Share security documentation with {company}",
    "Prepare renewal quote for {company}",
    "Review contract redlines from {company}",
    "Draft pilot success criteria for {company}",
)
PERSON_TASKS: tuple[str, ...] = (
    "Follow up with {person} about {topic}",
    "Check in with {person} after the pilot",
    "Schedule technical deep-dive with {person}",
    "Send {person} the case study on {topic}",
    "Introduce {person} to a reference customer",
)
