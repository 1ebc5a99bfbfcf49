#!/usr/bin/env python3
"""Generate the company-resolution evaluation set: crm.json, cases.json and README.md.

Standard library only, fully deterministic (fixed seed, no set iteration, sorted JSON keys).
Run from anywhere:

    /work/main/.venv/bin/python modules/leads/evals/resolution/make_crm.py

Every case is built from a record of the generated CRM (or from a name checked to be new)
and is verified here before it is kept: a case that would not be answerable by a careful
person from name + url_hint + context + the CRM record is regenerated.
"""

from __future__ import annotations

import bisect
import json
import re
import random
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SEED = 20241124
CRM_SIZE = 2400
HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------

# sector -> label (for vague contexts), name words, products (description phrase, the way an
# email would paraphrase it, customers).
SECTORS: dict[str, dict] = {
    "robotics": {
        "label": "robotics",
        "words": ["Robotics", "Automation", "Machines"],
        "products": [
            (
                "autonomous picking robots",
                "warehouse picking robots",
                [
                    "third-party logistics providers",
                    "mid-size warehouses",
                    "grocery fulfilment centres",
                ],
            ),
            (
                "collaborative robot arms",
                "easy-to-program cobot arms",
                ["small machine shops", "electronics assemblers", "contract manufacturers"],
            ),
            (
                "robotic welding cells",
                "welding robots",
                ["steel fabricators", "shipyards", "trailer manufacturers"],
            ),
        ],
    },
    "health": {
        "label": "digital health",
        "words": ["Health", "Care", "Clinic", "Medical"],
        "products": [
            (
                "a remote monitoring platform for heart-failure patients",
                "remote monitoring for cardiac patients",
                ["cardiology clinics", "hospital networks", "home-care providers"],
            ),
            (
                "an AI scribe that drafts clinical notes",
                "ambient note-taking for doctors",
                ["GP practices", "outpatient clinics", "urgent-care chains"],
            ),
            (
                "a patient triage and booking app",
                "patient triage and appointment booking",
                ["physiotherapy practices", "dental groups", "private clinics"],
            ),
        ],
    },
    "fintech": {
        "label": "fintech",
        "words": ["Pay", "Payments", "Finance", "Ledger"],
        "products": [
            (
                "B2B invoicing and payment collection software",
                "invoice-to-cash automation",
                ["wholesalers", "construction subcontractors", "agencies"],
            ),
            (
                "a corporate card with built-in expense controls",
                "company cards and spend management",
                ["startups", "mid-market finance teams", "NGOs"],
            ),
            (
                "a cross-border payout API",
                "international payouts via API",
                ["marketplaces", "gig platforms", "payroll providers"],
            ),
        ],
    },
    "analytics": {
        "label": "analytics",
        "words": ["Analytics", "Insights", "Data", "Metrics"],
        "products": [
            (
                "self-serve BI dashboards",
                "dashboards business users build themselves",
                ["retail chains", "e-commerce brands", "franchise operators"],
            ),
            (
                "a product analytics tool",
                "product usage analytics",
                ["SaaS companies", "mobile app teams", "subscription businesses"],
            ),
            (
                "data quality monitoring",
                "alerting on broken data pipelines",
                ["data teams", "banks", "insurers"],
            ),
        ],
    },
    "logistics": {
        "label": "logistics",
        "words": ["Logistics", "Freight", "Fleet", "Cargo"],
        "products": [
            (
                "a digital freight forwarding platform",
                "online freight forwarding",
                ["importers", "mid-size manufacturers", "e-commerce sellers"],
            ),
            (
                "route optimisation software",
                "delivery route planning",
                ["last-mile couriers", "wholesale distributors", "waste collectors"],
            ),
            (
                "cold-chain shipment tracking sensors",
                "temperature trackers for shipments",
                ["pharma distributors", "seafood exporters", "food wholesalers"],
            ),
        ],
    },
    "energy": {
        "label": "energy",
        "words": ["Energy", "Solar", "Power", "Grid"],
        "products": [
            (
                "battery storage controllers",
                "software that runs home and commercial batteries",
                ["solar installers", "utilities", "commercial landlords"],
            ),
            (
                "EV charging management software",
                "charge-point management",
                ["fleet operators", "parking operators", "housing associations"],
            ),
            (
                "a rooftop solar design tool",
                "solar layout and quoting software",
                ["solar installers", "roofing contractors", "energy cooperatives"],
            ),
        ],
    },
    "food": {
        "label": "food",
        "words": ["Foods", "Kitchen", "Farms", "Harvest"],
        "products": [
            (
                "plant-based cheese",
                "dairy-free cheese",
                ["supermarkets", "restaurant groups", "food-service distributors"],
            ),
            (
                "an operating system for delivery-only kitchens",
                "software for ghost kitchens",
                ["delivery-only kitchens", "restaurant brands", "franchise groups"],
            ),
            (
                "precision-fermented egg proteins",
                "egg proteins made by fermentation",
                ["bakeries", "food manufacturers", "snack brands"],
            ),
        ],
    },
    "security": {
        "label": "cybersecurity",
        "words": ["Security", "Shield", "Guard"],
        "products": [
            (
                "a phishing simulation and training platform",
                "phishing training for staff",
                ["mid-size companies", "schools", "local governments"],
            ),
            (
                "cloud security posture monitoring",
                "a scanner for misconfigured cloud accounts",
                ["SaaS companies", "fintechs", "healthcare IT teams"],
            ),
            (
                "a passwordless login SDK",
                "passkeys and passwordless sign-in for apps",
                ["consumer apps", "banks", "online retailers"],
            ),
        ],
    },
    "edtech": {
        "label": "edtech",
        "words": ["Learning", "Academy", "Tutor", "Classroom"],
        "products": [
            (
                "an adaptive maths tutoring app",
                "personalised maths practice for kids",
                ["primary schools", "parents", "tutoring centres"],
            ),
            (
                "educational robot kits",
                "robot kits for classrooms",
                ["secondary schools", "STEM clubs", "public libraries"],
            ),
            (
                "a language-learning platform for workers",
                "job-focused language courses",
                ["employers hiring abroad", "hospitals", "hotel chains"],
            ),
        ],
    },
    "hr": {
        "label": "HR tech",
        "words": ["Talent", "People", "Hire", "Workforce"],
        "products": [
            (
                "shift scheduling software",
                "staff rota planning",
                ["restaurants", "retail stores", "care homes"],
            ),
            (
                "a skills-based hiring platform",
                "skills tests instead of CVs",
                ["tech companies", "call centres", "consulting firms"],
            ),
            (
                "an employee onboarding tool",
                "new-hire onboarding",
                ["scale-ups", "hospital groups", "retailers"],
            ),
        ],
    },
    "legal": {
        "label": "legal tech",
        "words": ["Legal", "Contracts", "Counsel"],
        "products": [
            (
                "contract review software",
                "AI contract review",
                ["in-house legal teams", "law firms", "procurement teams"],
            ),
            (
                "an e-signature and document workflow tool",
                "document signing workflows",
                ["notaries", "real-estate agents", "HR teams"],
            ),
            (
                "a compliance tracking platform",
                "regulatory compliance tracking",
                ["banks", "insurers", "crypto exchanges"],
            ),
        ],
    },
    "proptech": {
        "label": "proptech",
        "words": ["Homes", "Spaces", "Estates", "Living"],
        "products": [
            (
                "a rental management platform",
                "software for managing rental flats",
                ["small landlords", "property managers", "student housing operators"],
            ),
            (
                "a building energy-retrofit planner",
                "energy retrofit plans for buildings",
                ["housing associations", "building owners", "municipalities"],
            ),
            (
                "a desk and meeting-room booking app",
                "desk and room booking",
                ["coworking operators", "hybrid-work companies", "universities"],
            ),
        ],
    },
    "climate": {
        "label": "climate tech",
        "words": ["Carbon", "Climate", "Earth"],
        "products": [
            (
                "carbon accounting software",
                "emissions measurement",
                ["manufacturers", "retailers", "logistics companies"],
            ),
            (
                "direct air capture modules",
                "machines that pull CO2 out of the air",
                ["industrial sites", "carbon-removal buyers", "greenhouse operators"],
            ),
            (
                "a supplier emissions data exchange",
                "supplier emissions data collection",
                ["consumer brands", "automotive suppliers", "chemical companies"],
            ),
        ],
    },
    "mobility": {
        "label": "mobility",
        "words": ["Mobility", "Motors", "Rides", "Transit"],
        "products": [
            ("electric cargo bikes", "e-cargo bikes", ["couriers", "city councils", "bakeries"]),
            (
                "a fleet telematics platform",
                "vehicle tracking for fleets",
                ["bus operators", "rental fleets", "utilities"],
            ),
            (
                "on-demand shuttle software",
                "an app for on-demand minibuses",
                ["transit agencies", "airports", "business parks"],
            ),
        ],
    },
    "devtools": {
        "label": "developer tools",
        "words": ["Cloud", "Stack", "Dev", "Code", "Systems"],
        "products": [
            (
                "a feature-flag service",
                "feature flags for engineering teams",
                ["SaaS engineering teams", "mobile developers", "game studios"],
            ),
            (
                "an API testing tool",
                "automated API tests",
                ["backend teams", "QA teams", "platform teams"],
            ),
            (
                "managed Postgres hosting",
                "hosted Postgres",
                ["startups", "agencies", "SaaS companies"],
            ),
        ],
    },
    "insurance": {
        "label": "insurtech",
        "words": ["Insure", "Cover", "Assurance"],
        "products": [
            (
                "embedded travel insurance",
                "travel insurance sold at checkout",
                ["airlines", "online travel agencies", "booking sites"],
            ),
            (
                "pet insurance",
                "insurance for dogs and cats",
                ["pet owners", "vet clinics", "pet retailers"],
            ),
            (
                "claims automation software",
                "automated claims handling",
                ["insurers", "brokers", "fleet owners"],
            ),
        ],
    },
    "commerce": {
        "label": "e-commerce",
        "words": ["Market", "Commerce", "Shop", "Store"],
        "products": [
            (
                "a marketplace for local florists",
                "an online marketplace for florists",
                ["independent florists", "event planners", "corporate gift buyers"],
            ),
            (
                "a resale platform for used furniture",
                "a second-hand furniture marketplace",
                ["households", "office clear-out firms", "interior designers"],
            ),
            (
                "a returns management platform",
                "online returns handling",
                ["fashion e-commerce brands", "marketplaces", "electronics retailers"],
            ),
        ],
    },
    "travel": {
        "label": "travel",
        "words": ["Travel", "Trips", "Journeys", "Stays"],
        "products": [
            (
                "a group trip planning app",
                "an app to plan group trips",
                ["friend groups", "schools", "sports clubs"],
            ),
            (
                "a booking engine for boutique hotels",
                "direct booking for small hotels",
                ["boutique hotels", "guesthouses", "campsites"],
            ),
            (
                "corporate travel booking software",
                "business travel booking",
                ["mid-size companies", "consulting firms", "NGOs"],
            ),
        ],
    },
    "agritech": {
        "label": "agritech",
        "words": ["Agri", "Agro", "Fields", "Crop"],
        "products": [
            (
                "soil sensors and irrigation control",
                "sensors that decide when to water crops",
                ["vineyards", "orchards", "vegetable growers"],
            ),
            (
                "vertical farming systems",
                "indoor vertical farms",
                ["supermarkets", "restaurants", "urban growers"],
            ),
            (
                "a livestock health monitoring collar",
                "collars that track cow health",
                ["dairy farms", "beef ranches", "veterinarians"],
            ),
        ],
    },
    "biotech": {
        "label": "biotech",
        "words": ["Bio", "Biosciences", "Therapeutics", "Genomics"],
        "products": [
            (
                "antibody discovery services",
                "antibody drug candidate discovery",
                ["pharma companies", "biotech startups", "academic labs"],
            ),
            (
                "a gut microbiome diagnostic test",
                "gut microbiome tests",
                ["gastroenterologists", "clinics", "consumers"],
            ),
            (
                "cell-culture media",
                "growth media for cell cultures",
                ["cultivated-meat companies", "biopharma labs", "universities"],
            ),
        ],
    },
    "gaming": {
        "label": "gaming",
        "words": ["Games", "Studios", "Play"],
        "products": [
            (
                "cozy mobile games",
                "casual mobile games",
                ["mobile players", "publishers", "casual gamers"],
            ),
            (
                "anti-cheat software",
                "cheat detection for online games",
                ["game studios", "esports leagues", "publishers"],
            ),
            (
                "a level editor for user-generated game content",
                "tools for players to build game levels",
                ["game studios", "modding communities", "educators"],
            ),
        ],
    },
    "media": {
        "label": "media",
        "words": ["Media", "Studio", "Press", "Audio"],
        "products": [
            (
                "a podcast hosting and ads platform",
                "podcast hosting with ad insertion",
                ["independent podcasters", "publishers", "radio networks"],
            ),
            (
                "automated video subtitling",
                "automatic subtitles for video",
                ["broadcasters", "e-learning providers", "social media agencies"],
            ),
            (
                "a local news app",
                "hyperlocal news",
                ["local readers", "regional publishers", "advertisers"],
            ),
        ],
    },
    "space": {
        "label": "space tech",
        "words": ["Space", "Orbital", "Aerospace"],
        "products": [
            (
                "satellite imagery analytics",
                "analysis of satellite images",
                ["insurers", "agribusinesses", "governments"],
            ),
            (
                "small-satellite propulsion systems",
                "thrusters for small satellites",
                ["satellite makers", "launch providers", "space agencies"],
            ),
            (
                "ground stations as a service",
                "rentable satellite ground stations",
                ["satellite operators", "universities", "earth-observation firms"],
            ),
        ],
    },
    "construction": {
        "label": "construction tech",
        "words": ["Build", "Construct", "Builders"],
        "products": [
            (
                "site progress tracking from 360 photos",
                "photo-based progress tracking for building sites",
                ["general contractors", "property developers", "project managers"],
            ),
            (
                "modular timber housing",
                "prefab timber homes",
                ["housing developers", "municipalities", "hotel chains"],
            ),
            (
                "a subcontractor marketplace",
                "a marketplace to find building subcontractors",
                ["general contractors", "renovation firms", "facility managers"],
            ),
        ],
    },
    "manufacturing": {
        "label": "industrial tech",
        "words": ["Industries", "Manufacturing", "Works"],
        "products": [
            (
                "predictive maintenance sensors",
                "sensors that predict machine failures",
                ["factories", "food processors", "paper mills"],
            ),
            (
                "industrial IoT gateways",
                "cloud connectivity for factory machines",
                ["machine builders", "automotive suppliers", "plastics moulders"],
            ),
            (
                "on-demand CNC machining",
                "online ordering of machined parts",
                ["hardware startups", "engineers", "R&D labs"],
            ),
        ],
    },
    "marketing": {
        "label": "marketing tech",
        "words": ["Growth", "Marketing", "Reach"],
        "products": [
            (
                "an influencer marketing platform",
                "brand-influencer matching",
                ["consumer brands", "agencies", "beauty companies"],
            ),
            (
                "a customer review collection tool",
                "customer review collection",
                ["local businesses", "hotels", "online shops"],
            ),
            (
                "an email marketing tool",
                "email campaigns",
                ["online shops", "newsletter writers", "nonprofits"],
            ),
        ],
    },
    "pets": {
        "label": "pet care",
        "words": ["Pets", "Vet", "Paws"],
        "products": [
            (
                "a fresh dog-food subscription",
                "fresh dog food delivered",
                ["dog owners", "breeders", "vets"],
            ),
            (
                "veterinary practice software",
                "software for vet clinics",
                ["vet clinics", "animal hospitals", "pet groomers"],
            ),
            (
                "a dog-walking marketplace",
                "an app to book dog walkers",
                ["dog owners", "pet sitters", "apartment buildings"],
            ),
        ],
    },
    "beauty": {
        "label": "beauty",
        "words": ["Beauty", "Skin", "Glow"],
        "products": [
            (
                "refillable skincare",
                "skincare in refillable packaging",
                ["consumers", "pharmacies", "concept stores"],
            ),
            (
                "salon booking software",
                "appointment booking for salons",
                ["hair salons", "nail studios", "barbers"],
            ),
            (
                "a virtual try-on SDK for cosmetics",
                "camera-based make-up try-on",
                ["cosmetics brands", "beauty retailers", "e-commerce sites"],
            ),
        ],
    },
    "fashion": {
        "label": "fashion",
        "words": ["Wear", "Threads", "Apparel"],
        "products": [
            (
                "a clothing rental subscription",
                "monthly clothing rental",
                ["professionals", "students", "parents"],
            ),
            (
                "on-demand garment manufacturing",
                "small-batch clothing production",
                ["independent fashion brands", "merch companies", "designers"],
            ),
            (
                "workwear made from recycled fibres",
                "recycled-fibre workwear",
                ["construction companies", "hospitals", "hotels"],
            ),
        ],
    },
    "water": {
        "label": "water tech",
        "words": ["Water", "Aqua", "Hydro"],
        "products": [
            (
                "leak detection for water networks",
                "leak finding in water pipes",
                ["water utilities", "municipalities", "industrial sites"],
            ),
            (
                "on-site water recycling units",
                "water recycling on site",
                ["breweries", "data centres", "hotels"],
            ),
            (
                "desalination membranes",
                "membranes for desalination",
                ["water utilities", "mines", "island communities"],
            ),
        ],
    },
    "semis": {
        "label": "semiconductors",
        "words": ["Photonics", "Silicon", "Semiconductors", "Chips"],
        "products": [
            (
                "silicon photonics transceivers",
                "optical chips for data centres",
                ["data-centre operators", "network vendors", "cloud providers"],
            ),
            (
                "low-power edge AI chips",
                "AI chips for battery-powered devices",
                ["wearable makers", "camera makers", "industrial sensor makers"],
            ),
            (
                "chip design verification software",
                "tools to verify chip designs",
                ["chip designers", "fabless startups", "universities"],
            ),
        ],
    },
    "quantum": {
        "label": "quantum",
        "words": ["Quantum", "Qubit"],
        "products": [
            (
                "quantum computing software",
                "software for running quantum algorithms",
                ["banks", "chemical companies", "research labs"],
            ),
            (
                "quantum sensors",
                "ultra-precise quantum sensors",
                ["defence contractors", "mining companies", "navigation firms"],
            ),
            (
                "cryogenic control electronics",
                "control electronics for quantum computers",
                ["quantum hardware labs", "universities", "national labs"],
            ),
        ],
    },
    "materials": {
        "label": "advanced materials",
        "words": ["Materials", "Polymers", "Fibers"],
        "products": [
            (
                "bio-based packaging foam",
                "compostable packaging foam",
                ["e-commerce shippers", "electronics brands", "food delivery companies"],
            ),
            (
                "low-carbon cement additives",
                "additives that cut cement emissions",
                ["cement producers", "concrete suppliers", "builders"],
            ),
            (
                "recycled carbon fibre",
                "reclaimed carbon fibre",
                ["bike makers", "automotive suppliers", "sports-goods brands"],
            ),
        ],
    },
    "fitness": {
        "label": "sports tech",
        "words": ["Fit", "Sports", "Athletics", "Motion"],
        "products": [
            (
                "a connected rowing machine",
                "a smart rowing machine",
                ["home-fitness buyers", "gyms", "physiotherapists"],
            ),
            (
                "gym management software",
                "membership and booking software for gyms",
                ["independent gyms", "yoga studios", "climbing halls"],
            ),
            (
                "match video analysis software",
                "match video analysis for grassroots football",
                ["amateur football clubs", "coaches", "youth academies"],
            ),
        ],
    },
    "govtech": {
        "label": "govtech",
        "words": ["Civic", "Gov", "Municipal"],
        "products": [
            (
                "a building permit application portal",
                "online building permits",
                ["municipalities", "county governments", "planning offices"],
            ),
            (
                "a resident feedback platform",
                "resident feedback collection",
                ["city councils", "transit agencies", "public utilities"],
            ),
            (
                "procurement software for public buyers",
                "public tendering software",
                ["municipalities", "public hospitals", "universities"],
            ),
        ],
    },
    "mentalhealth": {
        "label": "mental health",
        "words": ["Mind", "Wellbeing", "Therapy"],
        "products": [
            (
                "an online therapy platform",
                "video therapy sessions",
                ["employers", "students", "insurers"],
            ),
            (
                "a sleep coaching app",
                "an app that coaches better sleep",
                ["shift workers", "employers", "consumers"],
            ),
            (
                "workplace mental-health benefits",
                "mental-health support for employees",
                ["mid-size employers", "unions", "hospitals"],
            ),
        ],
    },
    "hospitality": {
        "label": "hospitality",
        "words": ["Hospitality", "Table", "Dine"],
        "products": [
            (
                "restaurant table reservation software",
                "table bookings for restaurants",
                ["restaurants", "bars", "hotel restaurants"],
            ),
            (
                "a hotel housekeeping app",
                "a housekeeping task app for hotels",
                ["hotel chains", "serviced apartments", "hostels"],
            ),
            (
                "a digital tipping and payroll app for hospitality staff",
                "digital tips for restaurant staff",
                ["restaurant groups", "cafés", "hotels"],
            ),
        ],
    },
}
SECTOR_NAMES = list(SECTORS)
WORD_SECTOR = {w: s for s, d in SECTORS.items() for w in d["words"]}


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    cities: tuple[str, ...]
    cctld: str
    legal: tuple[str, ...]
    weight: int
    local: tuple[str, ...] = ()


COUNTRIES = [
    Country(
        "US",
        "the United States",
        (
            "Austin",
            "Denver",
            "Boston",
            "Seattle",
            "Pittsburgh",
            "Atlanta",
            "Chicago",
            "Raleigh",
            "Portland",
            "Minneapolis",
        ),
        "com",
        ("Inc.", "LLC", "Inc"),
        18,
    ),
    Country(
        "UK",
        "the United Kingdom",
        ("Manchester", "Bristol", "Leeds", "Edinburgh", "Cambridge", "Glasgow", "London"),
        "co.uk",
        ("Ltd", "Limited"),
        10,
    ),
    Country(
        "DE",
        "Germany",
        ("Munich", "Hamburg", "Cologne", "Leipzig", "Stuttgart", "Berlin"),
        "de",
        ("GmbH", "AG", "UG"),
        10,
        (
            "Brücke",
            "Mühlbach",
            "Grünfeld",
            "Feldweg",
            "Sternwarte",
            "Wärme",
            "Klarsicht",
            "Hafenkran",
            "Eichwald",
            "Lindenhof",
        ),
    ),
    Country(
        "FR",
        "France",
        ("Lyon", "Nantes", "Bordeaux", "Toulouse", "Lille", "Paris"),
        "fr",
        ("SAS", "SARL", "SA"),
        9,
        (
            "Lumière",
            "Étoile",
            "Rivière",
            "Sillon",
            "Brume",
            "Clairière",
            "Sève",
            "Grève",
            "Falaise",
            "Ruisseau",
        ),
    ),
    Country(
        "NL",
        "the Netherlands",
        ("Utrecht", "Eindhoven", "Rotterdam", "Amsterdam", "Delft"),
        "nl",
        ("BV", "B.V."),
        5,
        ("Dijkstroom", "Polderwind", "Zeewolk", "Grachtlicht", "Duinzand"),
    ),
    Country(
        "SE",
        "Sweden",
        ("Gothenburg", "Malmö", "Uppsala", "Stockholm"),
        "se",
        ("AB",),
        4,
        ("Skogsljus", "Fjällvind", "Åsen", "Björkstig", "Myrstack"),
    ),
    Country(
        "FI",
        "Finland",
        ("Tampere", "Oulu", "Espoo", "Helsinki"),
        "fi",
        ("Oy",),
        3,
        ("Tuuli", "Routa", "Kelo", "Revontuli", "Lumikki", "Karhunpesä"),
    ),
    Country(
        "DK",
        "Denmark",
        ("Aarhus", "Copenhagen", "Odense"),
        "dk",
        ("ApS", "A/S"),
        3,
        ("Søndervig", "Havgus", "Lærkelund", "Bølgeslag"),
    ),
    Country(
        "NO",
        "Norway",
        ("Bergen", "Trondheim", "Oslo"),
        "no",
        ("AS",),
        2,
        ("Fjellvann", "Nordlys", "Skjærgård", "Breheim"),
    ),
    Country(
        "ES",
        "Spain",
        ("Valencia", "Barcelona", "Madrid", "Bilbao", "Málaga"),
        "es",
        ("SL", "S.L."),
        5,
        ("Brisa", "Sendero", "Marea", "Alborada", "Cañada"),
    ),
    Country(
        "IT",
        "Italy",
        ("Turin", "Milan", "Bologna"),
        "it",
        ("Srl", "S.p.A."),
        4,
        ("Ponte", "Scirocco", "Fonderia", "Borgata", "Lucciola"),
    ),
    Country(
        "PT",
        "Portugal",
        ("Porto", "Lisbon", "Braga"),
        "pt",
        ("Lda",),
        3,
        ("Maresia", "Açude", "Ribeira", "Farol"),
    ),
    Country("CH", "Switzerland", ("Zurich", "Lausanne", "Basel"), "ch", ("AG", "SA", "GmbH"), 3),
    Country("AT", "Austria", ("Vienna", "Graz", "Linz"), "at", ("GmbH",), 2),
    Country("EE", "Estonia", ("Tallinn", "Tartu"), "ee", ("OÜ",), 2, ("Päikesekell", "Tuulik")),
    Country(
        "PL",
        "Poland",
        ("Kraków", "Wrocław", "Warsaw", "Gdańsk"),
        "pl",
        ("S.A.",),
        3,
        ("Łąka", "Zorza", "Wiatrak", "Bursztyn"),
    ),
    Country("IE", "Ireland", ("Dublin", "Cork", "Galway"), "ie", ("Ltd", "DAC"), 2),
    Country(
        "CA", "Canada", ("Toronto", "Waterloo", "Montreal", "Vancouver"), "ca", ("Inc.", "Ltd"), 4
    ),
    Country(
        "BR",
        "Brazil",
        ("São Paulo", "Curitiba", "Recife", "Florianópolis"),
        "com.br",
        ("Ltda",),
        3,
        ("Garoa", "Ipê", "Jangada", "Cajueiro"),
    ),
    Country(
        "IN", "India", ("Bengaluru", "Pune", "Hyderabad"), "in", ("Pvt Ltd", "Private Limited"), 3
    ),
    Country("SG", "Singapore", ("Singapore",), "sg", ("Pte Ltd",), 2),
    Country(
        "AU",
        "Australia",
        ("Melbourne", "Brisbane", "Sydney", "Adelaide"),
        "com.au",
        ("Pty Ltd",),
        3,
    ),
    Country("IL", "Israel", ("Tel Aviv", "Haifa"), "co.il", ("Ltd",), 2),
    Country("KE", "Kenya", ("Nairobi", "Mombasa"), "co.ke", ("Ltd",), 1),
    Country("NG", "Nigeria", ("Lagos", "Abuja"), "ng", ("Ltd",), 1),
    Country("MX", "Mexico", ("Guadalajara", "Monterrey", "Mexico City"), "mx", (), 1),
    Country(
        "JP",
        "Japan",
        ("Osaka", "Fukuoka", "Kyoto"),
        "jp",
        ("KK", "K.K."),
        1,
        ("Kumoji", "Hoshizora"),
    ),
    Country("KR", "South Korea", ("Seoul", "Busan"), "kr", (), 1, ("Haneul", "Baramgil")),
    Country("CL", "Chile", ("Santiago", "Valparaíso"), "cl", ("SpA",), 1),
]
COUNTRY = {c.code: c for c in COUNTRIES}
GENERIC_TLDS = [("com", 40), ("io", 20), ("ai", 8), ("co", 8), ("app", 4), ("tech", 3), ("dev", 2)]

ENGLISH_STEMS = """
Kestrel Heron Wren Plover Puffin Egret Bison Fennec Gannet Curlew Harrier Lapwing Marten Linnet
Kittiwake Avocet Dunlin Shrike Osprey Aster Thistle Larch Rowan Alder Hazel Birch Sorrel Yarrow
Fern Moss Bramble Heather Saffron Sumac Tamarind Teal Tansy Nettle Burdock Fennel Lovage Borage
Chicory Sorghum Millet Pumice Gneiss Feldspar Garnet Beryl Zircon Tourmaline Agate Halite Cobble
Shingle Scree Tarn Fell Dale Combe Weir Sluice Quay Jetty Anchor Bollard Capstan Bosun Halyard
Mizzen Spinnaker Gable Lintel Rafter Corbel Plinth Cupola Oriel Dormer Parapet Abacus Almanac
Cipher Codex Quire Vellum Folio Stencil Pennant Lodestar Meridian Solstice Halcyon Nimbus Stratus
Zephyr Sirocco Chinook Boreal Austral Mesa Basalt Granite Marble Flint Cinder Haven Lantern Quill
Anvil Prism Keel Rudder Tiller Orchard Meadow Hollow Brook Glen Moor Heath Umber Ochre Sienna
Spindle Trellis Bellows Sextant Kiln Lathe Sedge Caldera Estuary Lagoon Isthmus Atoll Fathom
Bramblewood Copperleaf Foxglove Harebell Juncture Kelpie Larkspur Marigold Nightjar Oxbow
Petrel Quoll Redpoll Samphire Ternstone Upland Vetch Whimbrel Yellowhammer Sandpiper
""".split()
COMPOUND_HEADS = [
    "North",
    "South",
    "East",
    "West",
    "High",
    "Far",
    "Still",
    "Silver",
    "Iron",
    "Stone",
    "Oak",
    "Ash",
    "Elm",
    "Fox",
    "Hart",
    "Brook",
    "Glen",
    "Moss",
    "Wind",
    "Frost",
]
COMPOUND_TAILS = [
    "wind",
    "gate",
    "field",
    "brook",
    "ridge",
    "stone",
    "wood",
    "water",
    "light",
    "mark",
    "ford",
    "haven",
    "crest",
    "fall",
    "vale",
    "moor",
    "wick",
    "holm",
    "combe",
    "ley",
]
ONSETS = [
    "Vel",
    "Kor",
    "Lum",
    "Tal",
    "Zen",
    "Mir",
    "Bram",
    "Sol",
    "Quor",
    "Dor",
    "Fen",
    "Gal",
    "Hal",
    "Jun",
    "Kai",
    "Lor",
    "Mar",
    "Nol",
    "Pel",
    "Ras",
    "Sen",
    "Tor",
    "Vas",
    "Wyn",
    "Xan",
    "Yor",
    "Zel",
    "Bel",
    "Cal",
    "Dav",
    "Fil",
    "Gor",
    "Kel",
    "Lev",
    "Mov",
    "Nav",
    "Pax",
    "Riv",
    "Sav",
    "Tev",
    "Vol",
    "Zor",
    "Arv",
    "Ost",
    "Ulm",
    "Ember",
    "Isk",
    "Odr",
    "Brev",
    "Cyr",
    "Drav",
    "Fyn",
    "Grel",
    "Hov",
    "Jor",
    "Kest",
    "Lyr",
    "Myr",
    "Nesk",
    "Pry",
    "Quin",
    "Rho",
    "Syl",
    "Thal",
    "Vey",
    "Wex",
    "Yam",
    "Zyn",
]
ENDINGS = [
    "a",
    "ia",
    "ora",
    "ix",
    "io",
    "en",
    "ara",
    "ova",
    "ik",
    "eo",
    "ius",
    "ano",
    "ent",
    "ium",
    "os",
    "ine",
    "ette",
    "ux",
    "ion",
    "ari",
    "ado",
    "ona",
    "ley",
]
BRAND_TAILS = [
    "ly",
    "ify",
    "wise",
    "hub",
    "flow",
    "loop",
    "base",
    "nest",
    "mint",
    "path",
    "craft",
    "ware",
    "dock",
    "kit",
    "lane",
    "yard",
    "spot",
    "sense",
]
GENERIC_SECOND = ["Systems", "Works", "Studio", "Partners"]
# Inventories used only for the names of new companies in the "miss" cases, so that those names
# are far from everything in the CRM.
MISS_WORDS = """
Tumbleweed Marzipan Gondola Pangolin Quokka Narwhal Axolotl Origami Pinwheel Kaleidoscope Metronome
Hammock Porcupine Tortoise Walrus Zucchini Bagpipe Cobweb Dumpling Firefly Gumdrop Hopscotch Igloo
Jukebox Ladybird Mandolin Nutmeg Ottoman Paddock Rhubarb Saxophone Trampoline Ukulele Waffle
Xylophone Zeppelin Aubergine Butterscotch Catamaran Dragonfruit Empanada Flamingo Gazebo Hedgehog
Iguana Jellybean Kumquat Lemongrass Meringue Noodle Okapi Pretzel Quesadilla Raccoon Snorkel Toucan
Umbrella Vanilla Wombat Yak Zebu Albatross Bonsai Chameleon Dandelion Eucalyptus Fiddle Gingko
""".split()
MISS_ONSETS = [
    "Plo",
    "Gri",
    "Twe",
    "Snu",
    "Bru",
    "Fla",
    "Cru",
    "Dwi",
    "Gle",
    "Kno",
    "Spi",
    "Thro",
    "Vro",
    "Zwa",
    "Blu",
    "Pru",
    "Skro",
    "Hwa",
    "Jiv",
    "Mub",
    "Obu",
    "Ufa",
]
MISS_ENDINGS = [
    "mble",
    "zzo",
    "ndu",
    "ppa",
    "xxi",
    "gga",
    "rko",
    "mpo",
    "ddle",
    "sket",
    "nka",
    "vvy",
    "bbit",
    "mply",
    "gorn",
]
VARIANT_WORDS = [("Labs", 45), ("AI", 35), ("Technologies", 10), ("HQ", 5), ("App", 5)]
COMMON_STEMS = [
    "Nova",
    "Blue",
    "Green",
    "Smart",
    "Terra",
    "Bright",
    "True",
    "Peak",
    "Prime",
    "Clear",
]
# Curated names that carry a British/German spelling (for the spelling-variant typo cases).
SPELLING_VARIANTS = {
    "Harbour": "Harbor",
    "Greystone": "Graystone",
    "Colourfield": "Colorfield",
    "Centreline": "Centerline",
    "Mühlbach": "Muehlbach",
    "Brücke": "Bruecke",
    "Fibre": "Fiber",
    "Grünfeld": "Gruenfeld",
}

# Well-known companies and brands the generator must never produce (stem or whole name).
FAMOUS = set(
    """
stripe notion slack apple amazon google meta oracle palantir square zoom shopify canva klarna
spotify revolut monzo figma airtable asana databricks snowflake datadog twilio okta plaid brex
ramp rippling gusto deel miro pitch bolt wolt glovo vinted celonis mistral anthropic cohere scale
harvey jasper runway nuro zoox anduril vercel netlify supabase linear loom calendly lattice carta
mercury chime nubank monday wix fiverr lemonade oscar noom peloton whoop oura sonos nest ring tile
bird lime tier voi cabify getir gorillas flink picnic ocado northvolt einride lilium volocopter
helsing tesla uber lyft airbnb doordash instacart robinhood coinbase paypal adyen wise qonto
pennylane alan doctolib backmarket blablacar mirakl sorare ledger swile spendesk payfit personio
deliveroo cazoo gocardless truelayer starling tide zopa octopus ovo bulb babylon cera kry livi
oatly hellofresh zalando sumup solaris raisin tink trustly truecaller king supercell rovio relex
aiven iceye varjo unity roblox discord twitch reddit pinterest snap tiktok alibaba tencent baidu
samsung sony nvidia intel arm ibm cisco juniper atlassian hubspot salesforce zendesk intercom
freshworks workday sap siemens bosch philips nokia ericsson ikea lego volvo scania nike adidas
puma zara uniqlo patagonia allbirds glossier casper calm headspace duolingo coursera udemy chegg
babbel quizlet kahoot brainly gopuff rappi grab gojek paytm razorpay flipkart zomato swiggy meesho
nykaa infosys wipro tata reliance aurora waymo cruise rivian lucid nio byd polestar solana kiva
zenly starlink spacex openai deepmind redwood clearwater northstar westfield silverstone pinewood
deepwater starlight ibis obsidian quartz tidal drift ember compass beacon slate sage clover indigo
cedar quince caraway pelican merlin atlas zenith apex vertex equinox cirrus monsoon tundra fjord
cairn falcon swift otter lynx jaguar puma mongo elastic confluent gitlab github docker vimeo
wayfair etsy ebay zillow redfin opendoor compass asos boohoo farfetch depop vestiaire trivago
skyscanner booking expedia kayak hopper getaround turo citymapper moovit nordsecurity nordvpn
truelayer bluestar greenpeace brightwheel brightside clearscore truepill primephonic peakon
terraform novartis novavax bluebird greenlight smartsheet
brightfarms clearsecurity clearsecure bluepay truefit peakpower greenpower smarthealth primevideo
bluecloud novapay
""".split()
)

ROUNDS = ["pre-seed", "seed", "seed extension", "Series A", "bridge round"]
EVENTS = [
    "the spring demo day",
    "a founder breakfast",
    "the climate-track pitch night",
    "the Nordic founders meetup",
    "a portfolio dinner",
    "the university venture fair",
    "the accelerator's investor day",
    "a hardware meetup",
]
INTRODUCERS = [
    "a portfolio founder",
    "an angel we co-invest with",
    "the accelerator team",
    "a former colleague",
    "a scout",
    "their lead investor",
]
VAGUE_CONTEXTS = [
    "Raising a seed round, deck to follow",
    "Listed in the spring cohort without a description",
    "Scout recommendation, intro call next week",
    "One-line entry in the demo-day list, no details",
    "Founder reached out through the website form",
    "Came up on a portfolio founder's shortlist",
    "Pre-seed, asked for a first call",
    "Flagged by an angel we co-invest with, no deck yet",
    "Name only in the accelerator's batch email",
    "Mentioned in passing at the investor day",
]

# Name-form words that a careful reader treats as not part of the name (legal forms and the
# "AI"/"Labs"/"HQ" style suffixes). Deliberately broad: anything that two careful readers might
# disagree on is treated as "not part of the name" when checking that a case is unambiguous.
LEGAL_TOKENS = {
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "llp",
    "lp",
    "plc",
    "gmbh",
    "ag",
    "kg",
    "ug",
    "sa",
    "sas",
    "sarl",
    "sasu",
    "srl",
    "spa",
    "bv",
    "nv",
    "ab",
    "oy",
    "oyj",
    "as",
    "asa",
    "aps",
    "pty",
    "kk",
    "ltda",
    "sl",
    "sro",
    "doo",
    "lda",
    "ou",
    "dac",
    "pvt",
    "private",
    "pte",
}
VARIANT_TOKENS = {
    "ai",
    "labs",
    "lab",
    "hq",
    "app",
    "apps",
    "io",
    "technologies",
    "technology",
    "tech",
    "software",
    "group",
    "holdings",
}
STRIP_TOKENS = LEGAL_TOKENS | VARIANT_TOKENS

# --------------------------------------------------------------------------------------
# Normalization helpers (used to verify that every case is unambiguous)
# --------------------------------------------------------------------------------------

_SPECIAL = {
    "ø": "o",
    "Ø": "O",
    "æ": "ae",
    "Æ": "Ae",
    "ß": "ss",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "œ": "oe",
}


def fold(text: str) -> str:
    text = "".join(_SPECIAL.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def name_tokens(name: str) -> list[str]:
    text = fold(name).replace("&", " and ")
    text = re.sub(r"[.'’/]", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text).split()


def name_key(name: str) -> str:
    words = name_tokens(name)
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in STRIP_TOKENS:
        words.pop()
    return "".join(words)


def surface_key(name: str) -> str:
    """Case/punctuation/spacing-insensitive form that still keeps suffix words."""
    words = name_tokens(name)
    while len(words) > 1 and words[-1] in LEGAL_TOKENS:
        words.pop()
    return "".join(words)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


def normalize_hint(hint: str) -> str:
    text = hint.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    host = re.split(r"[/?#]", text, maxsplit=1)[0].split(":", 1)[0].rstrip(".")
    return host[4:] if host.startswith("www.") else host


def dist(a: str, b: str, cap: int = 99) -> int:
    """Optimal-string-alignment distance (a transposition costs 1), cut off above `cap`."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if abs(la - lb) > cap:
        return cap + 1
    prev2: list[int] | None = None
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        ai = a[i - 1]
        for j in range(1, lb + 1):
            cost = 0 if ai == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and j > 1 and ai == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        if prev2 is not None and min(cur) > cap and min(prev) > cap:
            return cap + 1
        prev2, prev = prev, cur
    return prev[lb]


def cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------------------
# CRM builder
# --------------------------------------------------------------------------------------


class Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.companies: list[dict] = []
        self.key_owners: dict[str, list[int]] = {}  # name key -> company ids (names and aliases)
        self.deletes: dict[str, list[str]] = {}  # 0/1-deletion variant -> keys
        self.taken_domains: dict[str, str] = {}  # every domain used anywhere -> who
        self.stem_use: Counter[str] = Counter()
        self.first_tokens: Counter[str] = Counter()
        self.all_tokens: Counter[str] = Counter()
        self.reserved_stems: set[str] = set(COMMON_STEMS)
        self._sorted_keys: list[tuple[int, str]] | None = None

    # ----- keys -----
    @staticmethod
    def _variants(key: str) -> list[str]:
        return [key] + [key[:i] + key[i + 1 :] for i in range(len(key))]

    def near_keys(self, key: str) -> list[str]:
        found: dict[str, None] = {}
        for v in self._variants(key):
            for k in self.deletes.get(v, ()):
                found[k] = None
        return list(found)

    def key_free(self, key: str, allow: tuple[str, ...] = ()) -> bool:
        if len(key) < 3:
            return False
        return all(k in allow for k in self.near_keys(key))

    def add_key(self, key: str, cid: int) -> None:
        owners = self.key_owners.setdefault(key, [])
        if cid not in owners:
            owners.append(cid)
        if len(owners) == 1:
            for v in self._variants(key):
                self.deletes.setdefault(v, []).append(key)
        self._sorted_keys = None

    def sorted_keys(self) -> list[tuple[int, str]]:
        if self._sorted_keys is None:
            self._sorted_keys = sorted((len(k), k) for k in self.key_owners)
        return self._sorted_keys

    def keys_within(self, key: str, maxd: int) -> list[tuple[int, str]]:
        """(distance, key) for every CRM key within maxd edits of key."""
        table = self.sorted_keys()
        lo = bisect.bisect_left(table, (len(key) - maxd, ""))
        hi = bisect.bisect_right(table, (len(key) + maxd, "~"))
        out = []
        for _, k in table[lo:hi]:
            d = dist(key, k, maxd)
            if d <= maxd:
                out.append((d, k))
        return sorted(out)

    def too_similar(self, key: str, threshold: float = 0.7) -> bool:
        """True if some CRM key has normalized similarity 1 - d/maxlen >= threshold."""
        table = self.sorted_keys()
        lo = bisect.bisect_left(table, (int(len(key) * threshold), ""))
        hi = bisect.bisect_right(table, (int(len(key) / threshold) + 1, "~"))
        for _, k in table[lo:hi]:
            m = max(len(k), len(key))
            cap = int(m * (1 - threshold))
            if dist(key, k, cap) <= cap:
                return True
        return False

    # ----- domains -----
    def pick_tld(self, country: Country) -> str:
        if self.rng.random() < 0.5:
            return country.cctld
        tlds, weights = zip(*GENERIC_TLDS)
        return self.rng.choices(tlds, weights)[0]

    def domain_candidates(self, base: str, country: Country) -> list[str]:
        words = [slug(w) for w in base.split()]
        words = [w for w in words if w]
        joined = "".join(words)
        first = words[0]
        labels = [(joined, 35)]
        if len(words) > 1:
            labels += [("-".join(words), 10), (first, 12)]
        labels += [
            ("get" + first, 4),
            ("try" + first, 3),
            ("use" + first, 3),
            ("hello" + joined, 2),
        ]
        if not joined.endswith("hq"):
            labels.append((first + "hq", 3))
        if not joined.endswith("app"):
            labels.append((joined + "app", 2))
        out: list[str] = []
        for _ in range(12):
            lab = self.rng.choices([l for l, _ in labels], [w for _, w in labels])[0]
            out.append(f"{lab}.{self.pick_tld(country)}")
        out += [
            f"{joined}.com",
            f"{joined}.{country.cctld}",
            f"{joined}-{slug(country.cities[0])}.{country.cctld}",
            f"{joined}{slug(country.code)}.com",
            f"{joined}-hq.com",
            f"{joined}global.com",
        ]
        return out

    def claim_domain(self, candidates: list[str], who: str) -> str:
        for d in candidates:
            if d not in self.taken_domains and len(d.split(".")[0]) <= 63:
                self.taken_domains[d] = who
                return d
        raise RuntimeError(f"no free domain among {candidates}")

    # ----- stems and names -----
    def pick_country(self) -> Country:
        return self.rng.choices(COUNTRIES, [c.weight for c in COUNTRIES])[0]

    def ok_stem(self, stem: str) -> bool:
        s = slug(stem)
        return s not in FAMOUS and stem not in self.reserved_stems and len(s) >= 3

    def random_stem(self, country: Country | None = None, kind: str | None = None) -> str:
        r = self.rng.random()
        if kind is None:
            if country is not None and country.local and r < 0.22:
                kind = "local"
            elif r < 0.5:
                kind = "invented"
            elif r < 0.8:
                kind = "english"
            else:
                kind = "compound"
        if kind == "local":
            return self.rng.choice(country.local)  # type: ignore[union-attr]
        if kind == "invented":
            onset, end = self.rng.choice(ONSETS), self.rng.choice(ENDINGS)
            if onset[-1] in "aeiouy" and end[0] in "aeiouy":
                end = end[1:] or "n"
            return onset + end
        if kind == "english":
            return self.rng.choice(ENGLISH_STEMS)
        head, tail = self.rng.choice(COMPOUND_HEADS), self.rng.choice(COMPOUND_TAILS)
        while head.lower() == tail:
            tail = self.rng.choice(COMPOUND_TAILS)
        if head.lower().endswith(tail[0]):
            tail = tail[1:]
        return head + tail

    def fresh_stem(
        self, country: Country | None, allow_reuse: bool = False, kind: str | None = None
    ) -> str:
        for _ in range(400):
            stem = self.random_stem(country, kind)
            if not self.ok_stem(stem):
                continue
            if self.stem_use[stem] and not (allow_reuse and self.stem_use[stem] < 2):
                continue
            return stem
        raise RuntimeError("ran out of stems")

    def plain_name(self, stem: str, sector: str) -> tuple[str, str | None, str | None]:
        """(base name, sector/generic word, variant word) for an unrelated company."""
        r = self.rng.random()
        words = SECTORS[sector]["words"]
        if r < 0.42 or " " in stem:
            w = self.rng.choice(words)
            return f"{stem} {w}", w, None
        if r < 0.62:
            return stem, None, None
        compound = stem not in ENGLISH_STEMS and any(
            stem.startswith(h) and stem[len(h) :].islower() for h in COMPOUND_HEADS
        )
        if r < 0.75:
            if compound or len(stem) > 7:
                return stem, None, None
            tail = self.rng.choice(BRAND_TAILS)
            if stem.lower().endswith(tail[0]):
                tail = tail[1:]
            return stem + tail, None, None
        if r < 0.80:
            if stem not in ENGLISH_STEMS:
                return stem, None, None
            other = self.rng.choice(ENGLISH_STEMS)
            if other == stem or not self.ok_stem(other):
                return stem, None, None
            return (
                (f"{stem} & {other}" if self.rng.random() < 0.4 else f"{stem} {other}"),
                None,
                None,
            )
        if r < 0.90:
            v = weighted(self.rng, VARIANT_WORDS)
            return f"{stem} {v}", None, v
        g = self.rng.choice(GENERIC_SECOND)
        return f"{stem} {g}", g, None

    # ----- companies -----
    def add_company(
        self,
        base: str,
        sector: str,
        country: Country,
        *,
        stem: str,
        product: int | None = None,
        family: str | None = None,
        role: str | None = None,
        domain: str | None | bool = True,
        legal: str | None = None,
        city: str | None = None,
    ) -> int:
        rng = self.rng
        products = SECTORS[sector]["products"]
        prod = rng.randrange(len(products)) if product is None else product
        cid = len(self.companies)
        c = {
            "id": cid,
            "base": base,
            "legal": legal,
            "sector": sector,
            "product": prod,
            "cust": rng.choice(
                [x for x in products[prod][2] if not overlap(x, products[prod][0])]
                or products[prod][2]
            ),
            "city": city or rng.choice(country.cities),
            "country": country.code,
            "stem": stem,
            "family": family,
            "role": role,
            "aliases": [],
            "domain": None,
            "renamed_to": None,
            "key": "",
        }
        if domain is True:
            c["domain"] = self.claim_domain(self.domain_candidates(base, country), f"crm:{cid}")
        elif isinstance(domain, str):
            assert domain not in self.taken_domains, domain
            self.taken_domains[domain] = f"crm:{cid}"
            c["domain"] = domain
        self.companies.append(c)
        self.add_key(name_key(base), cid)
        self.stem_use[stem] += 1
        self.first_tokens[name_tokens(base)[0]] += 1
        self.all_tokens.update(name_tokens(base))
        return cid

    def new_plain(
        self, sector: str | None = None, country: Country | None = None, allow_reuse: bool = True
    ) -> int:
        for _ in range(400):
            ctry = country or self.pick_country()
            sec = sector or self.rng.choice(SECTOR_NAMES)
            stem = self.fresh_stem(ctry, allow_reuse=allow_reuse)
            base, _, _ = self.plain_name(stem, sec)
            if slug(base) in FAMOUS or not self.key_free(name_key(base)):
                continue
            return self.add_company(base, sec, ctry, stem=stem)
        raise RuntimeError("could not place a plain company")


def overlap(a: str, b: str) -> bool:
    """Do two phrases share a content word ("vet clinics" / "software for vet clinics")?"""
    words = lambda t: {
        w.rstrip("s")
        for w in re.findall(r"[a-z]+", t.lower())
        if len(w) >= 3 and w not in ("for", "and", "the", "with")
    }
    return bool(words(a) & words(b))


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _ in pairs], [w for _, w in pairs])[0]


def twin_variants(word: str) -> list[str]:
    """Spelling twins of a brand word at one or two edits: Robotics/Robotix, Lumina/Lumena."""
    out: list[str] = []
    low = word.lower()
    if low.endswith("ics"):
        out.append(word[:-3] + "ix")
    if low[0] == "c" and low[1:2] not in ("h",):
        out.append("K" + word[1:])
    if low[0] == "k":
        out.append("C" + word[1:])
    swaps = {"a": "e", "e": "a", "o": "u", "u": "o", "i": "y", "y": "i"}
    for i in range(1, len(low)):
        ch = low[i]
        if ch in swaps and i < len(low) - 1:
            out.append(word[:i] + swaps[ch] + word[i + 1 :])
        if ch in "lnrt" and low[i - 1] in "aeiouy" and i + 1 < len(low) and low[i + 1] in "aeiouy":
            out.append(word[:i] + ch + word[i:])
        if low[i : i + 2] == "ph":
            out.append(word[:i] + "f" + word[i + 2 :])
        if ch == "s" and i + 1 < len(low) and low[i + 1] in "aeiou":
            out.append(word[:i] + "z" + word[i + 1 :])
    return [v for v in dict.fromkeys(out) if v.lower() != low]


# --------------------------------------------------------------------------------------
# Typos
# --------------------------------------------------------------------------------------

KEYBOARD = {
    "q": "wa",
    "w": "qes",
    "e": "wrd",
    "r": "etf",
    "t": "ryg",
    "y": "tuh",
    "u": "yij",
    "i": "uok",
    "o": "ipl",
    "p": "ol",
    "a": "qsz",
    "s": "adwx",
    "d": "sfec",
    "f": "dgrv",
    "g": "fhtb",
    "h": "gjyn",
    "j": "hkum",
    "k": "jlim",
    "l": "kop",
    "z": "asx",
    "x": "zsdc",
    "c": "xdfv",
    "v": "cfgb",
    "b": "vghn",
    "n": "bhjm",
    "m": "njk",
}
PHONETIC = [
    ("ph", "f"),
    ("c", "k"),
    ("k", "c"),
    ("y", "i"),
    ("i", "y"),
    ("s", "z"),
    ("x", "ks"),
    ("ks", "x"),
    ("qu", "kw"),
    ("ee", "ea"),
    ("ou", "ow"),
    ("f", "ph"),
    ("ck", "k"),
]


def is_vowel_swap(v: str, *originals: str) -> bool:
    """v differs from one of the originals only by swapping one vowel for another."""
    for o in originals:
        if len(o) == len(v):
            diff = [(x, y) for x, y in zip(o.lower(), v.lower()) if x != y]
            if len(diff) == 1 and diff[0][0] in "aeiou" and diff[0][1] in "aeiou":
                return True
    return False


def match_case(new: str, old: str) -> str:
    return new[:1].upper() + new[1:] if old[:1].isupper() else new


def typo_variants(word: str, kind: str) -> list[str]:
    low = word.lower()
    out: list[str] = []
    n = len(low)
    if kind == "transposition":
        for i in range(1, n - 1):
            if low[i] != low[i + 1] and low[i].isalpha() and low[i + 1].isalpha():
                out.append(low[:i] + low[i + 1] + low[i] + low[i + 2 :])
    elif kind == "missing_letter":
        for i in range(1, n):
            if low[i].isalpha() and low[i] != low[i - 1]:
                out.append(low[:i] + low[i + 1 :])
    elif kind == "extra_letter":
        for i in range(1, n):
            if low[i].isalpha():
                out.append(low[: i + 1] + low[i] + low[i + 1 :])
    elif kind == "substitution":
        for i in range(1, n):
            for r in KEYBOARD.get(low[i], ""):
                out.append(low[:i] + r + low[i + 1 :])
    elif kind == "phonetic":
        for a, b in PHONETIC:
            start = 0
            while True:
                i = low.find(a, start)
                if i < 0:
                    break
                out.append(low[:i] + b + low[i + len(a) :])
                start = i + 1
    return [match_case(v, word) for v in dict.fromkeys(out) if v != low and len(v) >= 3]


# --------------------------------------------------------------------------------------
# Building the CRM
# --------------------------------------------------------------------------------------


def build_crm(b: Builder) -> dict[str, list]:
    rng = b.rng
    families: dict[str, list] = {"twins": [], "siblings": [], "groups": [], "common": []}

    def ctry(code: str) -> Country:
        return COUNTRY[code]

    # --- curated families from the brief -------------------------------------------------
    b.reserved_stems.update(["Northwind", "Acme", "Bloom", "Kestrel"])
    n1 = b.add_company(
        "Northwind Robotics",
        "robotics",
        ctry("US"),
        stem="Northwind",
        product=0,
        family="twin:northwind",
        role="a",
        domain="northwindrobotics.com",
        city="Pittsburgh",
    )
    n2 = b.add_company(
        "Northwind Robotix",
        "edtech",
        ctry("EE"),
        stem="Northwind",
        product=1,
        family="twin:northwind",
        role="b",
        domain="northwindrobotix.io",
        city="Tallinn",
    )
    families["twins"].append((n1, n2))
    a1 = b.add_company(
        "Acme Health",
        "health",
        ctry("US"),
        stem="Acme",
        product=0,
        family="sib:acme",
        role="base",
        domain="acmehealth.com",
        city="Boston",
    )
    a2 = b.add_company(
        "Acme Health Labs",
        "biotech",
        ctry("UK"),
        stem="Acme",
        product=1,
        family="sib:acme",
        role="sibling",
        domain="acmehealthlabs.co.uk",
        city="Cambridge",
    )
    families["siblings"].append((a1, a2))
    g1 = b.add_company(
        "Bloom",
        "commerce",
        ctry("FR"),
        stem="Bloom",
        product=0,
        family="group:bloom",
        role="bare",
        domain="bloom.fr",
        city="Lyon",
    )
    g2 = b.add_company(
        "Bloom Analytics",
        "analytics",
        ctry("NL"),
        stem="Bloom",
        product=0,
        family="group:bloom",
        role="member",
        domain="bloomanalytics.nl",
        city="Amsterdam",
    )
    families["groups"].append([g1, g2])
    b.add_company(
        "Kestrel Systems",
        "manufacturing",
        ctry("DE"),
        stem="Kestrel",
        product=1,
        legal="GmbH",
        domain="kestrel-systems.de",
        city="Munich",
    )
    for base, sector, code in [
        ("Harbour Metrics", "analytics", "UK"),
        ("Greystone Learning", "edtech", "UK"),
        ("Colourfield Beauty", "beauty", "UK"),
        ("Centreline Build", "construction", "UK"),
        ("Fibre & Loom", "fashion", "IE"),
        ("Wren & Quill", "media", "UK"),
        ("Søndervig Water", "water", "DK"),
        ("Łąka Foods", "food", "PL"),
        ("Café Nordique", "hospitality", "DK"),
    ]:
        stem = base.split()[0]
        b.reserved_stems.add(stem)
        b.add_company(base, sector, ctry(code), stem=stem)

    # --- spelling twins (60 pairs with the curated one) -----------------------------------
    # word -> (sector of the -ics twin, [(sector, product or None) the -ix twin may have])
    ics_words = {
        "Robotics": ("robotics", [("robotics", None), ("edtech", 1)]),
        "Analytics": ("analytics", [("analytics", None), ("marketing", None)]),
        "Logistics": ("logistics", [("logistics", None), ("mobility", 1)]),
        "Genomics": ("biotech", [("biotech", None)]),
        "Photonics": ("semis", [("semis", None), ("space", 0)]),
    }
    plan = ["single"] * 24 + ["stem_word"] * 18 + ["ics"] * 17
    rng.shuffle(plan)
    for shape in plan:
        for _ in range(200):
            ca, cb = b.pick_country(), b.pick_country()
            if shape == "ics":
                stem = b.fresh_stem(None, kind=rng.choice(["english", "compound", "invented"]))
                word = rng.choice(sorted(ics_words))
                sec_a, b_choices = ics_words[word]
                sec_b, fixed_b = rng.choice(b_choices)
                name_a, name_b = f"{stem} {word}", f"{stem} {word[:-3]}ix"
                stem_b = stem
            else:
                stem = b.fresh_stem(None, kind=rng.choice(["english", "invented", "invented"]))
                variants = [v for v in twin_variants(stem) if b.ok_stem(v) and not b.stem_use[v]]
                if not variants:
                    continue
                stem_b = rng.choice(variants)
                fixed_b = None
                if shape == "single":
                    sec_a = rng.choice(SECTOR_NAMES)
                    sec_b = sec_a if rng.random() < 0.5 else rng.choice(SECTOR_NAMES)
                    name_a, name_b = stem, stem_b
                else:
                    sec_a = sec_b = rng.choice(SECTOR_NAMES)
                    word = rng.choice(SECTORS[sec_a]["words"])
                    name_a, name_b = f"{stem} {word}", f"{stem_b} {word}"
            ka, kb = name_key(name_a), name_key(name_b)
            if (
                ka == kb
                or dist(ka, kb) > 2
                or not b.key_free(ka)
                or not b.key_free(kb, allow=(ka,))
            ):
                continue
            if slug(name_a) in FAMOUS or slug(name_b) in FAMOUS:
                continue
            pa = rng.randrange(3)
            pb = (
                rng.choice([p for p in range(3) if p != pa]) if sec_a == sec_b else rng.randrange(3)
            )
            if fixed_b is not None:
                pb = fixed_b
            fam = f"twin:{slug(name_a)}"
            i = b.add_company(name_a, sec_a, ca, stem=stem, product=pa, family=fam, role="a")
            j = b.add_company(name_b, sec_b, cb, stem=stem_b, product=pb, family=fam, role="b")
            if b.companies[i]["city"] == b.companies[j]["city"]:
                b.companies[j]["city"] = rng.choice(
                    [c for c in cb.cities if c != b.companies[i]["city"]] or cb.cities
                )
            families["twins"].append((i, j))
            break

    # --- suffix siblings: "X" and "X Labs" are different companies (35 pairs) -----------
    for _ in range(34):
        for _ in range(200):
            stem = b.fresh_stem(None)
            sec_a = rng.choice(SECTOR_NAMES)
            base = f"{stem} {rng.choice(SECTORS[sec_a]['words'])}" if rng.random() < 0.5 else stem
            variant = weighted(rng, VARIANT_WORDS)
            sib = f"{base} {variant}"
            key = name_key(base)
            if name_key(sib) != key or not b.key_free(key) or slug(base) in FAMOUS:
                continue
            # "Heron Health" and "Heron Health Labs" are both in health; a bare "Heron" can be anything
            sec_b = sec_a if " " in base or rng.random() < 0.3 else rng.choice(SECTOR_NAMES)
            pa = rng.randrange(3)
            pb = (
                rng.choice([p for p in range(3) if p != pa]) if sec_a == sec_b else rng.randrange(3)
            )
            fam = f"sib:{key}"
            i = b.add_company(
                base, sec_a, b.pick_country(), stem=stem, product=pa, family=fam, role="base"
            )
            j = b.add_company(
                sib, sec_b, b.pick_country(), stem=stem, product=pb, family=fam, role="sibling"
            )
            families["siblings"].append((i, j))
            break

    # --- same stem, different sectors: "Bloom" florist vs "Bloom Analytics" (35 groups) ---
    for _ in range(34):
        for _ in range(200):
            stem = b.fresh_stem(None, kind=rng.choice(["english", "compound", "invented"]))
            n_members = rng.choice([2, 2, 3])
            sectors = rng.sample(SECTOR_NAMES, n_members)
            names = []
            with_bare = rng.random() < 0.7
            for k, sec in enumerate(sectors):
                if k == 0 and with_bare:
                    names.append((stem, sec, "bare"))
                else:
                    names.append((f"{stem} {rng.choice(SECTORS[sec]['words'])}", sec, "member"))
            keys = [name_key(n) for n, _, _ in names]
            if len(set(keys)) != len(keys) or not all(b.key_free(k) for k in keys):
                continue
            if any(dist(x, y) <= 2 for x in keys for y in keys if x < y):
                continue
            fam = f"group:{slug(stem)}"
            ids = [
                b.add_company(n, sec, b.pick_country(), stem=stem, family=fam, role=role)
                for n, sec, role in names
            ]
            families["groups"].append(ids)
            break

    # --- common first words shared by many companies ("Nova Health", "Nova Freight", ...) --
    for stem in COMMON_STEMS:
        members = []
        for sec in rng.sample(SECTOR_NAMES, 9):
            word = rng.choice(SECTORS[sec]["words"])
            base = f"{stem} {word}"
            if slug(base) in FAMOUS or not b.key_free(name_key(base)):
                continue
            members.append(
                b.add_company(
                    base,
                    sec,
                    b.pick_country(),
                    stem=stem,
                    family=f"common:{slug(stem)}",
                    role="member",
                )
            )
        families["common"].append(members)

    # --- everything else -------------------------------------------------------------------
    while len(b.companies) < CRM_SIZE:
        b.new_plain()

    # --- legal suffixes, aliases, missing and changed domains -----------------------------
    comps = b.companies
    order = list(range(len(comps)))
    for cid in order:
        c = comps[cid]
        country = COUNTRY[c["country"]]
        if c["legal"] is None and country.legal and rng.random() < 0.12:
            c["legal"] = rng.choice(country.legal)
    plain = [cid for cid in order if comps[cid]["family"] is None]
    for cid in plain:
        c = comps[cid]
        if rng.random() >= 0.15:
            continue
        n_alias = 2 if rng.random() < 0.15 else 1
        for _ in range(n_alias):
            alias = make_alias(b, c)
            if alias:
                c["aliases"].append(alias)
                b.add_key(name_key(alias), cid)
                b.all_tokens.update(name_tokens(alias))
    for cid in order:
        c = comps[cid]
        if c["base"] in (
            "Northwind Robotics",
            "Northwind Robotix",
            "Acme Health",
            "Acme Health Labs",
            "Bloom",
            "Bloom Analytics",
            "Kestrel Systems",
        ):
            continue
        if c["domain"] and rng.random() < 0.08:
            c["domain"] = None  # the domain stays reserved so that no case reuses it
    renamed = rng.sample([cid for cid in plain if comps[cid]["domain"]], 90)
    for cid in renamed:
        c = comps[cid]
        c["renamed_to"] = new_domain_for(b, c)
    return families


def make_alias(b: Builder, c: dict) -> str | None:
    rng = b.rng
    words = c["base"].split()
    for _ in range(30):
        r = rng.random()
        if r < 0.35 and len(words) > 1 and words[1] not in ("&",):
            alias = words[0]  # the short name people use
        else:  # a former name
            stem = b.fresh_stem(COUNTRY[c["country"]])
            alias, _, _ = b.plain_name(stem, c["sector"])
        key = name_key(alias)
        if slug(alias) in FAMOUS or not b.key_free(key) or alias.lower() == c["base"].lower():
            continue
        b.stem_use[name_tokens(alias)[0]] += 1
        return alias
    return None


def domain_relation(old: str, new: str) -> str:
    ol, ot = old.split(".", 1)
    nl, nt = new.split(".", 1)
    if ol == nl:
        return "tld_change"
    strip = lambda s: re.sub(r"^(get|try|use|hello)|(hq|app)$", "", s)
    if ol.replace("-", "") == nl.replace("-", ""):
        return "hyphen_change"
    if strip(ol) == strip(nl) or strip(ol) == nl or ol == strip(nl):
        return "prefix_change"
    return "new_label"


def new_domain_for(b: Builder, c: dict) -> str:
    country = COUNTRY[c["country"]]
    for _ in range(50):
        cands = b.domain_candidates(c["base"], country)
        cands = [d for d in cands if d != c["domain"] and d not in b.taken_domains]
        if cands:
            d = b.rng.choice(cands[:12] or cands)
            b.taken_domains[d] = f"renamed:{c['id']}"
            return d
    raise RuntimeError("no new domain")


DESCRIPTION_TEMPLATES = [
    "{name} builds {desc} for {cust}, based in {where}.",
    "{name} is {a_city} {city}-based startup offering {desc} to {cust}.",
    "{name} develops {desc} for {cust} from {where}.",
    "{name} provides {desc} to {cust} in {country}, with its team in {city}.",
    "{name}, founded in {city}, sells {desc} to {cust}.",
]


def describe(rng: random.Random, c: dict) -> str:
    country = COUNTRY[c["country"]]
    desc = SECTORS[c["sector"]]["products"][c["product"]][0]
    short = country.name.replace("the ", "")
    where = c["city"] if c["city"] == short else f"{c['city']}, {short}"
    text = rng.choice(DESCRIPTION_TEMPLATES).format(
        name=c["base"],
        desc=desc,
        cust=c["cust"],
        city=c["city"],
        where=where,
        country=country.name,
        a_city=article(c["city"]),
    )
    return cap_first(text)


def full_name(c: dict) -> str:
    return f"{c['base']} {c['legal']}" if c["legal"] else c["base"]


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------

URL_PATHS = ["/about", "/team", "/careers", "/en/", "/product", "/pricing", "/blog/launch", "/"]
URL_QUERIES = ["?utm_source=demoday", "?ref=deck", "?lang=en", "#team", "?utm_medium=email"]


def url_form(rng: random.Random, domain: str, style: str) -> str:
    cap = ".".join(p.capitalize() if i == 0 else p for i, p in enumerate(domain.split(".")))
    if style == "plain":
        return domain
    if style == "www":
        return "www." + domain + rng.choice(["", "", "/"])
    if style == "scheme":
        return rng.choice(["https://", "http://", "https://"]) + domain + rng.choice(["", "/"])
    if style == "path_query":
        return (
            "https://"
            + rng.choice(["", "www."])
            + domain
            + rng.choice(URL_PATHS)
            + rng.choice(["", *URL_QUERIES])
        )
    if style == "upper_case":
        return rng.choice([domain.upper(), cap, "WWW." + domain.upper(), "www." + cap])
    if style == "mixed":
        return (
            rng.choice(["HTTPS://WWW.", "https://WWW.", "Https://www.", "http://"])
            + rng.choice([domain.upper(), cap])
            + rng.choice(URL_PATHS[:-1])
            + rng.choice(URL_QUERIES)
        )
    raise ValueError(style)


def any_url(rng: random.Random, domain: str) -> str:
    return url_form(
        rng, domain, rng.choice(["plain", "plain", "plain", "www", "scheme", "path_query"])
    )


class CaseMaker:
    def __init__(self, b: Builder, families: dict[str, list]) -> None:
        self.b = b
        self.rng = b.rng
        self.f = families
        self.C = b.companies
        self.cases: list[dict] = []
        self.used: set[int] = set()
        self.case_names: set[str] = set()
        self.case_stems: set[str] = set()
        self.crm_domains = {c["domain"] for c in self.C if c["domain"]}
        # curated records kept for the cases written for them
        self.spelling_pool = [
            c["id"]
            for c in self.C
            if c["family"] is None and any(old in c["base"] for old in SPELLING_VARIANTS)
        ]
        self.accent_pool = [
            c["id"]
            for c in self.C
            if c["base"] in ("Søndervig Water", "Łąka Foods", "Café Nordique")
        ]
        self.used.update(self.spelling_pool + self.accent_pool)

    # ----- helpers -----
    def k(self, cid: int) -> str:
        return name_key(self.C[cid]["base"])

    def unique_key(self, cid: int) -> bool:
        return self.b.key_owners.get(self.k(cid)) == [cid]

    def pool(self, pred) -> list[int]:
        out = [c["id"] for c in self.C if c["id"] not in self.used and pred(c)]
        self.rng.shuffle(out)
        return out

    def fill(self, pred, n: int, make) -> None:
        """Call make(cid) on unused companies matching pred until n of them produced a case."""
        done = 0
        for cid in self.pool(pred):
            if done == n:
                break
            if cid not in self.used and make(cid):
                self.used.add(cid)
                done += 1
        assert done == n, (make, done, n)

    def product(self, cid: int) -> tuple[str, str, list[str]]:
        c = self.C[cid]
        return SECTORS[c["sector"]]["products"][c["product"]]

    def link_context(self, cid: int, with_city: bool = True) -> str:
        rng = self.rng
        c = self.C[cid]
        _, para, custs = self.product(cid)
        custs = [x for x in custs if not overlap(x, para)]
        cust = rng.choice(custs) if custs else None
        if with_city:
            t = rng.randrange(6) if cust else rng.choice([1, 2, 5])
        else:
            t = rng.choice([0, 3]) if cust else 6
        rnd = rng.choice(ROUNDS)
        to = f" for {cust}" if " for " not in para else f", selling to {cust}"
        if t == 0:
            s = f"{para}{to}; raising {article(rnd)} {rnd}"
        elif t == 1:
            s = f"{para} ({c['city']}), raising a round"
        elif t == 2:
            s = f"{c['city']} team working on {para}; met at {rng.choice(EVENTS)}"
        elif t == 3:
            s = f"{para}{to} - intro via {rng.choice(INTRODUCERS)}"
        elif t == 4:
            s = f"works on {para}{to}, out of {c['city']}"
        elif t == 5:
            s = f"{para}; {rng.choice(ROUNDS)}, {c['city']}"
        else:
            s = f"{para} - intro via {rng.choice(INTRODUCERS)}"
        return cap_first(s)

    def other_context(
        self,
        avoid_sectors: list[str],
        avoid_countries: list[str] | None = None,
        sector: str | None = None,
        country: Country | None = None,
    ) -> dict:
        """A context for a company that is clearly none of the given ones."""
        rng = self.rng
        sec = sector or rng.choice([s for s in SECTOR_NAMES if s not in avoid_sectors])
        ctry = country or rng.choice(
            [c for c in COUNTRIES if c.code not in (avoid_countries or [])]
        )
        city = rng.choice(ctry.cities)
        desc, para, custs = rng.choice(SECTORS[sec]["products"])
        cust = rng.choice([x for x in custs if not overlap(x, para)] or custs)
        t = rng.randrange(3)
        to = f" for {cust}" if " for " not in para else f", selling to {cust}"
        if t == 0:
            s = f"{para}{to}, based in {city}"
        elif t == 1:
            s = f"{city} startup working on {para}{to}"
        else:
            r = rng.choice(ROUNDS)
            s = f"{para}{to} ({city}); raising {article(r)} {r}"
        return {"text": cap_first(s), "sector": sec, "city": city, "country": ctry, "desc": desc}

    def vague_context(self) -> str:
        return self.rng.choice(VAGUE_CONTEXTS)

    def new_domain(self, name: str, country: Country) -> str:
        d = self.b.claim_domain(self.b.domain_candidates(name, country), "case")
        assert d not in self.crm_domains
        return d

    def add(
        self,
        name: str,
        url: str | None,
        context: str,
        expected: dict,
        kind: str,
        why: str | None = None,
    ) -> None:
        case = {
            "name": name,
            "url_hint": url,
            "context": context,
            "expected": expected,
            "kind": kind,
        }
        if why:
            case["why"] = why
        self.cases.append(case)
        self.case_names.add(name.lower())
        self.case_stems.add(name_tokens(name)[0])

    def link(self, cid: int) -> dict:
        return {"action": "link", "key": self.C[cid]["key"]}

    def ref(self, cid: int) -> str:
        c = self.C[cid]
        desc = SECTORS[c["sector"]]["products"][c["product"]][0]
        return f"{c['key']} '{full_name(c)}' ({c['domain'] or 'no domain'}; {desc}, {c['city']})"

    def others_within(self, key: str, maxd: int, exclude: list[int]) -> list[tuple[int, str]]:
        return [
            (d, k)
            for d, k in self.b.keys_within(key, maxd)
            if any(o not in exclude for o in self.b.key_owners[k])
        ]

    def is_new_name(self, name: str) -> bool:
        key = name_key(name)
        return (
            key not in self.b.key_owners
            and name.lower() not in self.case_names
            and slug(name) not in FAMOUS
        )

    # ----- the brief's own examples, always present -----
    def curated_cases(self) -> None:
        by_name = {
            c["base"]: c["id"] for c in self.C if c["family"] or c["base"] == "Kestrel Systems"
        }
        nr, nx = by_name["Northwind Robotics"], by_name["Northwind Robotix"]
        ah, al = by_name["Acme Health"], by_name["Acme Health Labs"]
        bl, ba = by_name["Bloom"], by_name["Bloom Analytics"]
        ks = by_name["Kestrel Systems"]
        self.used.update([nr, nx, ah, al, bl, ba, ks])
        C = self.C
        key = lambda cid: C[cid]["key"]

        self.add(
            "Kestrel Systems",
            None,
            "Cloud connectivity for factory machines; Series A, Munich",
            self.link(ks),
            "name/legal_suffix_removed",
            f"The CRM records the legal form: '{full_name(C[ks])}'.",
        )
        self.add(
            "Kestrel Systems",
            "https://www.Kestrel-Systems.DE/en/team?utm_source=demoday",
            "Industrial IoT gateways, Munich",
            self.link(ks),
            "domain/mixed",
        )
        name = "Northwind Robotis"
        assert dist(name_key(name), self.k(nr)) == dist(name_key(name), self.k(nx)) == 1
        assert not self.others_within(name_key(name), 2, exclude=[nr, nx])
        self.add(
            name,
            None,
            "Robotics startup; one-line entry in the demo-day list, no details",
            {"action": "ask", "keys": sorted([key(nr), key(nx)])},
            "trap_ask/equidistant_twins",
            f"One letter away from both {key(nr)} 'Northwind Robotics' (warehouse robots) and {key(nx)} "
            f"'Northwind Robotix' (classroom robot kits); no URL and nothing in the context separates them.",
        )
        name = "Northwnd Robotics"
        assert dist(name_key(name), self.k(nr)) == 1 and dist(name_key(name), self.k(nx)) >= 2
        assert not self.others_within(name_key(name), 2, exclude=[nr, nx])
        self.add(
            name,
            None,
            "Warehouse picking robots for 3PLs, Pittsburgh",
            self.link(nr),
            "typo/near_twin_context_decides",
            f"A misspelling of {key(nr)} 'Northwind Robotics', and the context (warehouse picking robots, "
            f"Pittsburgh) is its business, not that of {key(nx)} 'Northwind Robotix' (classroom robot kits).",
        )
        self.add(
            "Acme Health AI",
            None,
            "Scout recommendation, intro call next week",
            {"action": "ask", "keys": sorted([key(ah), key(al)])},
            "trap_ask/suffix_variant_between_siblings",
            f"Could be {key(ah)} 'Acme Health' (cardiac remote monitoring, Boston) or {key(al)} 'Acme Health "
            f"Labs' (microbiome tests, Cambridge), two different companies; no URL, no detail.",
        )
        self.add(
            "Acme Health Labs",
            None,
            "Gut microbiome tests for gastroenterologists - intro via a scout",
            self.link(al),
            "name/sibling_exact_with_context",
            f"Exactly {key(al)} 'Acme Health Labs', and the context is its business; {key(ah)} 'Acme Health' "
            f"is a different company (cardiac remote monitoring).",
        )
        self.add(
            "Bloom",
            None,
            "Dashboards business users build themselves, selling to retail chains",
            {"action": "ask", "keys": sorted([key(bl), key(ba)])},
            "trap_ask/short_name_context_conflict",
            f"The name is exactly {key(bl)} 'Bloom' (florist marketplace, Lyon) but the context describes "
            f"{key(ba)} 'Bloom Analytics' (BI dashboards, Amsterdam).",
        )
        dom = "bloomfreight.pl"
        assert dom not in self.b.taken_domains and self.is_new_name("Bloom Freight")
        self.b.taken_domains[dom] = "case"
        self.add(
            "Bloom Freight",
            f"https://{dom}/",
            "Online freight forwarding for importers, based in Wrocław",
            {"action": "create"},
            "trap_create/shared_stem_new_word",
            f"Shares its first word with {key(bl)} 'Bloom' (florist marketplace) and {key(ba)} 'Bloom "
            f"Analytics' (BI), but it is a Polish freight forwarder at {dom}, which is not in the CRM.",
        )

    # ----- 25%: exact domain -----
    def domain_cases(self) -> None:
        rng = self.rng
        simple = lambda c: (
            c["family"] is None and c["domain"] is not None and c["renamed_to"] is None
        )

        for style, n in [
            ("plain", 14),
            ("www", 14),
            ("scheme", 14),
            ("path_query", 14),
            ("upper_case", 12),
            ("mixed", 9),
        ]:

            def make(cid: int, style: str = style) -> bool:
                c = self.C[cid]
                name = full_name(c) if rng.random() < 0.3 else c["base"]
                self.add(
                    name,
                    url_form(rng, c["domain"], style),
                    self.link_context(cid),
                    self.link(cid),
                    f"domain/{style}",
                )
                return True

            self.fill(simple, n, make)

        def alias(cid: int) -> bool:
            c = self.C[cid]
            a = rng.choice(c["aliases"])
            self.add(
                a,
                any_url(rng, c["domain"]),
                self.link_context(cid),
                self.link(cid),
                "domain/name_is_alias",
                f"The URL is {c['domain']}, the CRM domain of {c['key']} '{full_name(c)}'; '{a}' is one of "
                f"its recorded aliases.",
            )
            return True

        self.fill(lambda c: simple(c) and c["aliases"], 6, alias)

        def short(cid: int) -> bool:
            c = self.C[cid]
            first = c["base"].split()[0]
            self.add(
                first,
                any_url(rng, c["domain"]),
                self.link_context(cid),
                self.link(cid),
                "domain/name_short_form",
                f"Only the first word of '{full_name(c)}' is given, but the URL is its CRM domain "
                f"{c['domain']}.",
            )
            return True

        self.fill(
            lambda c: (
                simple(c)
                and len(c["base"].split()) == 2
                and "&" not in c["base"]
                and c["base"].split()[1] in WORD_SECTOR
                and len(c["base"].split()[0]) >= 4
            ),
            6,
            short,
        )

        def typo(cid: int) -> bool:
            c = self.C[cid]
            first, rest = c["base"].split()[0], c["base"].split()[1:]
            vs = typo_variants(
                first, rng.choice(["transposition", "missing_letter", "substitution"])
            )
            vs = [v for v in vs if self.is_new_name(" ".join([v, *rest]))]
            if not vs:
                return False
            name = " ".join([rng.choice(vs), *rest])
            self.add(
                name,
                any_url(rng, c["domain"]),
                self.link_context(cid),
                self.link(cid),
                "domain/name_typo",
                f"Misspelt name, but the URL is exactly the CRM domain of {c['key']} '{full_name(c)}'.",
            )
            return True

        self.fill(lambda c: simple(c) and len(c["base"].split()[0]) >= 5, 6, typo)

        twins = [
            t
            for t in self.f["twins"]
            if self.C[t[0]]["domain"] and self.C[t[1]]["domain"] and not set(t) & self.used
        ]
        for pair in rng.sample(twins, 6):
            me, other = pair if rng.random() < 0.5 else pair[::-1]
            self.used.update(pair)
            c = self.C[me]
            self.add(
                rng.choice([c["base"], full_name(c)]),
                any_url(rng, c["domain"]),
                self.link_context(me),
                self.link(me),
                "domain/twin_family",
                f"{self.ref(other)} is a different company with a confusingly similar name; the URL is "
                f"{c['domain']}, which belongs to {c['key']}.",
            )

        sibs = [
            s
            for s in self.f["siblings"]
            if self.C[s[0]]["domain"] and self.C[s[1]]["domain"] and not set(s) & self.used
        ]
        for pair in rng.sample(sibs, 4):
            me, other = pair if rng.random() < 0.5 else pair[::-1]
            self.used.update(pair)
            c, o = self.C[me], self.C[other]
            present = set(name_tokens(c["base"]) + name_tokens(o["base"]))
            variant = rng.choice([v for v, _ in VARIANT_WORDS if v.lower() not in present])
            name = f"{self.C[pair[0]]['base']} {variant}"
            assert name_key(name) == self.k(me) == self.k(other)
            self.add(
                name,
                any_url(rng, c["domain"]),
                self.link_context(me),
                self.link(me),
                "domain/sibling_family",
                f"'{name}' normalizes to the same name as {c['key']} '{c['base']}' and {o['key']} "
                f"'{o['base']}' (different companies), but the URL is {c['domain']}, the CRM domain of "
                f"{c['key']}.",
            )

        def old_domain(cid: int) -> bool:
            c = self.C[cid]
            self.add(
                c["base"],
                any_url(rng, c["domain"]),
                self.link_context(cid),
                self.link(cid),
                "domain/old_domain_still_in_crm",
                f"{c['domain']} is the domain on record for {c['key']} (the company has since moved to "
                f"another domain, which the CRM does not know).",
            )
            return True

        self.fill(lambda c: c["renamed_to"] is not None, 4, old_domain)

    # ----- 20%: normalized name, no URL -----
    def name_cases(self) -> None:
        rng = self.rng
        ok = lambda c: c["family"] is None and c["renamed_to"] is None and self.unique_key(c["id"])

        def try_link(
            cid: int, name: str, kind: str, url: str | None = None, why: str | None = None
        ) -> bool:
            c = self.C[cid]
            key = name_key(name)
            if (
                self.b.key_owners.get(key) != [cid]
                or name == c["base"]
                and kind
                not in (
                    "name/legal_suffix_removed",
                    "name/crm_has_no_domain",
                    "name/crm_has_no_domain_url_given",
                )
            ):
                return False
            self.add(name, url, self.link_context(cid), self.link(cid), kind, why)
            return True

        def case(cid: int) -> bool:
            base = self.C[cid]["base"]
            name = rng.choice([base.upper(), base.lower(), base[:1] + base[1:].lower()])
            return try_link(cid, name if name != base else base.upper(), "name/case")

        self.fill(ok, 8, case)

        def punct(cid: int) -> bool:
            base = self.C[cid]["base"]
            if "&" in base:
                name = base.replace("&", "and")
            else:
                name = rng.choice(
                    [
                        base.replace(" ", "-"),
                        base + ".",
                        base.replace(" ", " - "),
                        base.replace(" ", "."),
                    ]
                )
            return try_link(cid, name, "name/punctuation")

        self.fill(lambda c: ok(c) and " " in c["base"], 8, punct)

        def spacing(cid: int) -> bool:
            base = self.C[cid]["base"]
            if " " in base:
                name = base.replace(" ", "")
            else:
                tails = [t for t in BRAND_TAILS if base.endswith(t) and len(base) > len(t) + 3]
                if not tails:
                    return False
                name = base[: -len(tails[0])] + " " + tails[0].capitalize()
            return try_link(cid, name, "name/spacing")

        self.fill(lambda c: ok(c) and "&" not in c["base"], 6, spacing)

        def legal_removed(cid: int) -> bool:
            c = self.C[cid]
            return try_link(
                cid,
                rng.choice([c["base"], c["base"].upper()]) if rng.random() < 0.2 else c["base"],
                "name/legal_suffix_removed",
                why=f"The CRM records the legal form: '{full_name(c)}'.",
            )

        self.fill(lambda c: ok(c) and c["legal"] is not None, 9, legal_removed)

        def legal_added(cid: int) -> bool:
            c = self.C[cid]
            legal = rng.choice(COUNTRY[c["country"]].legal)
            name = f"{c['base']} {legal}" if rng.random() < 0.7 else f"{c['base']}, {legal}"
            return try_link(cid, name, "name/legal_suffix_added")

        self.fill(
            lambda c: ok(c) and c["legal"] is None and COUNTRY[c["country"]].legal, 6, legal_added
        )

        def variant(cid: int) -> bool:
            c = self.C[cid]
            toks = c["base"].split()
            words = [v for v, _ in VARIANT_WORDS]
            if toks[-1] in words:
                name = (
                    " ".join(toks[:-1])
                    if rng.random() < 0.6
                    else " ".join(toks[:-1] + [rng.choice([v for v in words if v != toks[-1]])])
                )
            else:
                name = f"{c['base']} {weighted(rng, VARIANT_WORDS)}"
            return try_link(
                cid,
                name,
                "name/variant_word",
                why=f"'{name}' and '{full_name(c)}' differ only by an AI/Labs/HQ-style word; no other "
                f"CRM company has that name.",
            )

        self.fill(ok, 10, variant)

        def alias(cid: int) -> bool:
            c = self.C[cid]
            a = rng.choice(c["aliases"])
            if rng.random() < 0.25:
                a = a.upper()
            return try_link(
                cid,
                a,
                "name/alias",
                why=f"'{a}' is a recorded alias of {c['key']} '{full_name(c)}'.",
            )

        self.fill(lambda c: ok(c) and c["aliases"], 10, alias)

        def accents(cid: int) -> bool:
            c = self.C[cid]
            name = "".join(_SPECIAL.get(ch, ch) for ch in c["base"])
            name = "".join(
                ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)
            )
            return try_link(
                cid, name, "name/accents", why=f"Written without the accents of '{c['base']}'."
            )

        for cid in self.accent_pool:
            self.used.discard(cid)
        self.fill(lambda c: c["id"] in self.accent_pool and ok(c), len(self.accent_pool), accents)
        self.fill(
            lambda c: ok(c) and fold(c["base"]) != c["base"].lower(),
            4 - len(self.accent_pool),
            accents,
        )

        def no_domain(cid: int) -> bool:
            c = self.C[cid]
            return try_link(
                cid,
                rng.choice([c["base"], full_name(c), c["base"].upper()]),
                "name/crm_has_no_domain",
            )

        self.fill(lambda c: ok(c) and c["domain"] is None, 6, no_domain)

        def no_domain_url(cid: int) -> bool:
            c = self.C[cid]
            url = any_url(rng, self.new_domain(c["base"], COUNTRY[c["country"]]))
            return try_link(
                cid,
                c["base"],
                "name/crm_has_no_domain_url_given",
                url=url,
                why=f"{c['key']} has no domain in the CRM, so the URL neither confirms nor contradicts "
                f"it; the name matches only {c['key']} and the context matches its description.",
            )

        self.fill(lambda c: ok(c) and c["domain"] is None, 4, no_domain_url)

        twins = [t for t in self.f["twins"] if t[0] not in self.used and t[1] not in self.used]
        for pair in self.rng.sample(twins, 6):
            me, other = pair if rng.random() < 0.5 else pair[::-1]
            self.used.update(pair)
            c = self.C[me]
            name = rng.choice([c["base"].lower(), c["base"].upper(), full_name(c)])
            self.add(
                name,
                None,
                self.link_context(me),
                self.link(me),
                "name/twin_exact",
                f"Exactly the name of {c['key']}; {self.ref(other)} only looks similar, and the context is "
                f"{c['key']}'s business ({self.product(me)[0]}).",
            )

        sibs = [
            s
            for s in self.f["siblings"]
            if s[0] not in self.used
            and s[1] not in self.used
            and (self.C[s[0]]["sector"], self.C[s[0]]["product"])
            != (self.C[s[1]]["sector"], self.C[s[1]]["product"])
        ]
        for pair in rng.sample(sibs, 9):
            me, other = pair if rng.random() < 0.5 else pair[::-1]
            self.used.update(pair)
            c, o = self.C[me], self.C[other]
            name = rng.choice(
                [
                    c["base"],
                    c["base"].lower(),
                    c["base"].replace(" ", "") if " " in c["base"] else c["base"].upper(),
                ]
            )
            assert surface_key(name) == surface_key(c["base"]) != surface_key(o["base"])
            self.add(
                name,
                None,
                self.link_context(me),
                self.link(me),
                "name/sibling_exact_with_context",
                f"The CRM has both {c['key']} '{c['base']}' and {o['key']} '{o['base']}', different companies "
                f"whose names differ only by '{o['base'].split()[-1] if len(o['base']) > len(c['base']) else c['base'].split()[-1]}'. "
                f"The email spells out '{c['base']}' exactly and describes its business "
                f"({self.product(me)[0]}), not {o['key']}'s ({self.product(other)[0]}).",
            )

    # ----- 10%: renamed domain -----
    def renamed_cases(self) -> None:
        rng = self.rng

        def make(cid: int) -> bool:
            c = self.C[cid]
            r = rng.random()
            words = c["base"].split()
            if r < 0.5:
                name = c["base"]
            elif r < 0.7:
                name = full_name(c)
            elif r < 0.8:
                name = c["base"].upper()
            elif words[-1] not in dict(VARIANT_WORDS):
                name = f"{c['base']} {weighted(rng, VARIANT_WORDS)}"
            else:
                name = " ".join(words[:-1])
            if self.b.key_owners.get(name_key(name)) != [cid]:
                return False
            new = c["renamed_to"]
            url = url_form(
                rng,
                new,
                rng.choice(["plain", "plain", "www", "scheme", "path_query", "upper_case"]),
            )
            self.add(
                name,
                url,
                self.link_context(cid),
                self.link(cid),
                f"renamed/{domain_relation(c['domain'], new)}",
                f"The CRM still has the old domain {c['domain']} for {c['key']} '{full_name(c)}'; the email "
                f"gives {new}. The name matches only {c['key']} and the context is its business "
                f"({self.product(cid)[0]}, {c['city']}).",
            )
            return True

        self.fill(lambda c: c["renamed_to"] is not None and self.unique_key(c["id"]), 44, make)

    # ----- 20%: clear misses -----
    def fresh_name(
        self, sector: str, country: Country, common: str | None = None, word: str | None = None
    ) -> str:
        b = self.b
        for _ in range(500):
            if common:
                base = f"{common} {word or self.rng.choice(SECTORS[sector]['words'])}"
            else:
                stem = (
                    self.rng.choice(MISS_WORDS)
                    if self.rng.random() < 0.5
                    else self.rng.choice(MISS_ONSETS) + self.rng.choice(MISS_ENDINGS)
                )
                first = name_tokens(stem)[0]
                if not b.ok_stem(stem) or first in b.all_tokens or first in self.case_stems:
                    continue
                base = f"{stem} {word}" if word else b.plain_name(stem, sector)[0]
                if any(
                    t in b.all_tokens
                    and t not in [w.lower() for w in SECTORS[sector]["words"]] + ["and"]
                    for t in name_tokens(base)
                ):
                    continue
            if not self.is_new_name(base):
                continue
            key = name_key(base)
            if common:
                if b.keys_within(key, 2):
                    continue
            elif b.keys_within(key, 2) or b.too_similar(key, 0.7):
                continue
            return base
        raise RuntimeError("no fresh name")

    def miss_cases(self) -> None:
        rng = self.rng
        for i in range(48):
            country = self.b.pick_country()
            ctx = self.other_context([], country=country)
            name = self.fresh_name(ctx["sector"], country)
            with_url = i % 2 == 1
            url = any_url(rng, self.new_domain(name, country)) if with_url else None
            self.add(
                name,
                url,
                ctx["text"],
                {"action": "create"},
                "miss/novel_with_url" if with_url else "miss/novel_no_url",
            )
        commons = self.f["common"]
        for i in range(26):
            members = commons[i % len(commons)]
            stem = self.C[members[0]]["stem"]
            taken = [self.C[m]["sector"] for m in members]
            country = self.b.pick_country()
            ctx = self.other_context(taken, country=country)
            name = self.fresh_name(ctx["sector"], country, common=stem)
            url = any_url(rng, self.new_domain(name, country)) if rng.random() < 0.5 else None
            self.add(
                name,
                url,
                ctx["text"],
                {"action": "create"},
                "miss/shares_common_word",
                f"The CRM has {len(members)} companies named '{stem} …' "
                f"({', '.join(self.C[m]['base'] for m in members[:3])}, …); none is '{name}' and none does "
                f"{SECTORS[ctx['sector']]['label']}.",
            )
        for i in range(14):
            country = self.b.pick_country()
            ctx = self.other_context([], country=country)
            word = rng.choice(SECTORS[ctx["sector"]]["words"])
            name = self.fresh_name(ctx["sector"], country, word=word)
            url = any_url(rng, self.new_domain(name, country)) if rng.random() < 0.5 else None
            n_same = sum(1 for c in self.C if c["sector"] == ctx["sector"])
            self.add(
                name,
                url,
                ctx["text"],
                {"action": "create"},
                "miss/shares_sector_word",
                f"{n_same} CRM companies are in {SECTORS[ctx['sector']]['label']} and many names contain "
                f"'{word}', but the brand '{name.split()[0]}' matches no CRM name.",
            )

    # ----- 15%: traps -----
    def trap_cases(self) -> None:
        rng = self.rng
        C = self.C
        twins = [t for t in self.f["twins"] if t[0] not in self.used and t[1] not in self.used]
        rng.shuffle(twins)

        # create: a third spelling of a twin pair, for a clearly different business
        n = 0
        for a, bb in list(twins):
            if n == 10:
                break
            wa, wb = C[a]["base"].split(), C[bb]["base"].split()
            idx = next((i for i in range(min(len(wa), len(wb))) if wa[i] != wb[i]), 0)
            variants = [
                v
                for v in twin_variants(wa[idx]) + twin_variants(wb[idx])
                if v.lower() not in (wa[idx].lower(), wb[idx].lower())
            ]
            # stylised respellings (K for C, doubled letters, y for i, -ix) before plain vowel changes
            variants = sorted(
                dict.fromkeys(variants),
                key=lambda v: (is_vowel_swap(v, wa[idx], wb[idx]), rng.random()),
            )
            name = None
            for v in variants:
                cand = " ".join(wa[:idx] + [v] + wa[idx + 1 :])
                key = name_key(cand)
                if not self.is_new_name(cand) or self.others_within(key, 2, exclude=[a, bb]):
                    continue
                if min(dist(key, self.k(a)), dist(key, self.k(bb))) > 2:
                    continue
                name = cand
                break
            if not name:
                continue
            twins.remove((a, bb))
            self.used.update((a, bb))
            ctx = self.other_context(
                [C[a]["sector"], C[bb]["sector"]], [C[a]["country"], C[bb]["country"]]
            )
            dom = self.new_domain(name, ctx["country"])
            self.add(
                name,
                any_url(rng, dom),
                ctx["text"],
                {"action": "create"},
                "trap_create/twin_variant",
                f"Looks like {self.ref(a)} and {self.ref(bb)}, already two different companies; this is a "
                f"third spelling, at its own domain {dom}, doing {SECTORS[ctx['sector']]['label']} in "
                f"{ctx['city']}.",
            )
            n += 1
        assert n == 10, n

        # ask: a spelling half-way between two twins, nothing else to go on
        n = 0
        for a, bb in list(twins):
            if n == 7:
                break
            ka, kb = self.k(a), self.k(bb)
            words = C[a]["base"].split()
            cands = []
            for wi, w in enumerate(words):
                for kind in (
                    "missing_letter",
                    "substitution",
                    "transposition",
                    "extra_letter",
                    "phonetic",
                ):
                    for v in typo_variants(w, kind):
                        cand = " ".join(words[:wi] + [v] + words[wi + 1 :])
                        key = name_key(cand)
                        if not self.is_new_name(cand):
                            continue
                        da, db = dist(key, ka), dist(key, kb)
                        if (
                            da == db
                            and da <= 2
                            and not self.others_within(key, da + 1, exclude=[a, bb])
                        ):
                            cands.append(cand)
            cands = sorted(dict.fromkeys(cands))
            if not cands:
                continue
            twins.remove((a, bb))
            self.used.update((a, bb))
            name = rng.choice(cands)
            vague = self.vague_context()
            if C[a]["sector"] == C[bb]["sector"] and rng.random() < 0.6:
                vague = f"{cap_first(SECTORS[C[a]['sector']]['label'])} startup; {vague[0].lower()}{vague[1:]}"
            self.add(
                name,
                None,
                vague,
                {"action": "ask", "keys": sorted([C[a]["key"], C[bb]["key"]])},
                "trap_ask/equidistant_twins",
                f"'{name}' is as close to {C[a]['key']} '{C[a]['base']}' as to {C[bb]['key']} "
                f"'{C[bb]['base']}' ({dist(name_key(name), ka)} edit(s) each), there is no URL, and the "
                f"context fits both.",
            )
            n += 1
        assert n == 7, n

        # ask: name of one twin, URL of the other
        n = 0
        for a, bb in list(twins):
            if n == 6:
                break
            if not (C[a]["domain"] and C[bb]["domain"]):
                continue
            twins.remove((a, bb))
            self.used.update((a, bb))
            named, linked = (a, bb) if rng.random() < 0.5 else (bb, a)
            self.add(
                C[named]["base"],
                any_url(rng, C[linked]["domain"]),
                self.vague_context(),
                {"action": "ask", "keys": sorted([C[a]["key"], C[bb]["key"]])},
                "trap_ask/name_domain_conflict",
                f"The name is exactly {C[named]['key']} '{C[named]['base']}' but the URL "
                f"{C[linked]['domain']} is the domain of {C[linked]['key']} '{C[linked]['base']}' (a different "
                f"company); the context does not settle which one is meant.",
            )
            n += 1
        assert n == 6, n

        # ask: a suffix variant that fits both "X" and "X Labs"
        sibs = [s for s in self.f["siblings"] if s[0] not in self.used and s[1] not in self.used]
        for a, bb in rng.sample(sibs, 7):
            self.used.update((a, bb))
            ca, cb = C[a], C[bb]
            present = set(name_tokens(ca["base"]) + name_tokens(cb["base"]))
            name = f"{ca['base']} {rng.choice([v for v, _ in VARIANT_WORDS if v.lower() not in present])}"
            if rng.random() < 0.3:
                name = name.upper()
            assert name_key(name) == self.k(a) == self.k(bb)
            self.add(
                name,
                None,
                self.vague_context(),
                {"action": "ask", "keys": sorted([ca["key"], cb["key"]])},
                "trap_ask/suffix_variant_between_siblings",
                f"'{name}' could be {ca['key']} '{ca['base']}' or {cb['key']} '{cb['base']}' (two different "
                f"companies); it is neither name exactly, there is no URL and no detail about the business.",
            )

        # ask: the bare stem name, but the context describes another company of the same stem
        groups = [
            g
            for g in self.f["groups"]
            if C[g[0]]["role"] == "bare" and not any(x in self.used for x in g)
        ]
        for g in rng.sample(groups, 5):
            self.used.update(g)
            bare, member = g[0], rng.choice(g[1:])
            self.add(
                C[bare]["base"],
                None,
                self.link_context(member, with_city=False),
                {"action": "ask", "keys": sorted([C[bare]["key"], C[member]["key"]])},
                "trap_ask/short_name_context_conflict",
                f"The name is exactly {C[bare]['key']} '{C[bare]['base']}' ({self.product(bare)[0]}), but the "
                f"context describes {C[member]['key']} '{C[member]['base']}' ({self.product(member)[0]}), "
                f"which people may shorten to '{C[bare]['base']}'.",
            )

        # create: same stem as a family, new second word, different business
        groups = [g for g in self.f["groups"] if not any(x in self.used for x in g)]
        for g in rng.sample(groups, 9):
            self.used.update(g)
            stem = C[g[0]]["stem"]
            ctx = self.other_context([C[x]["sector"] for x in g], [C[x]["country"] for x in g])
            for word in sorted(SECTORS[ctx["sector"]]["words"], key=lambda _: rng.random()):
                name = f"{stem} {word}"
                if self.is_new_name(name) and not self.others_within(name_key(name), 2, exclude=[]):
                    break
            else:
                raise RuntimeError("no shared-stem name")
            url = (
                any_url(rng, self.new_domain(name, ctx["country"])) if rng.random() < 0.7 else None
            )
            self.add(
                name,
                url,
                ctx["text"],
                {"action": "create"},
                "trap_create/shared_stem_new_word",
                f"Shares its first word with {'; '.join(self.ref(x) for x in g)}. None of them is '{name}' or "
                f"works in {SECTORS[ctx['sector']]['label']}"
                f"{'; ' + normalize_hint(url) + ' is not a CRM domain' if url else ''}.",
            )

        def brand_only(c: dict) -> bool:
            toks = c["base"].split()
            return (
                c["family"] is None
                and c["renamed_to"] is None
                and c["domain"] is not None
                and self.unique_key(c["id"])
                and not c["aliases"]
                and (
                    len(toks) == 1 or toks[-1] in dict(VARIANT_WORDS) or toks[-1] in GENERIC_SECOND
                )
            )

        # create: the same name as a CRM company, but another domain, business and country
        def same_name(cid: int) -> bool:
            c = self.C[cid]
            ctx = self.other_context([c["sector"]], [c["country"]])
            name = c["base"]
            if rng.random() < 0.4:
                alt = f"{c['base'].split()[0]} {weighted(rng, VARIANT_WORDS)}"
                if name_key(alt) == self.k(cid):
                    name = alt
            dom = self.new_domain(c["base"], ctx["country"])
            self.add(
                name,
                any_url(rng, dom),
                ctx["text"],
                {"action": "create"},
                "trap_create/same_name_other_business",
                f"Same name as {self.ref(cid)}, but this one is at {dom} and does "
                f"{SECTORS[ctx['sector']]['label']} ({ctx['desc']}) in {ctx['city']}: a different company "
                f"that shares the name.",
            )
            return True

        self.fill(brand_only, 10, same_name)

        # create: one or two letters away from a CRM company, but clearly another business
        counter = [0]

        def typo_like(cid: int) -> bool:
            c = self.C[cid]
            words = c["base"].split()
            if len(words[0]) < 5:
                return False
            vs = []
            for kind in ("extra_letter", "substitution", "missing_letter", "phonetic"):
                for v in typo_variants(words[0], kind):
                    cand = " ".join([v] + words[1:])
                    if self.is_new_name(cand) and not self.others_within(
                        name_key(cand), 2, exclude=[cid]
                    ):
                        vs.append(cand)
            if not vs:
                return False
            name = rng.choice(sorted(vs))
            d = dist(name_key(name), self.k(cid))
            ctx = self.other_context([c["sector"]], [c["country"]])
            url = (
                any_url(rng, self.new_domain(name, ctx["country"])) if counter[0] % 3 != 2 else None
            )
            counter[0] += 1
            self.add(
                name,
                url,
                ctx["text"],
                {"action": "create"},
                "trap_create/typo_like_other_business",
                f"{d} letter{'s' if d > 1 else ''} away from {self.ref(cid)}, but the context is "
                f"{SECTORS[ctx['sector']]['label']} in {ctx['city']}"
                f"{' and ' + normalize_hint(url) + ' is a new domain' if url else ''}: a new company, "
                f"not a misspelling.",
            )
            return True

        self.fill(brand_only, 8, typo_like)

    # ----- 10%: typos with a matching context -----
    def typo_cases(self) -> None:
        rng = self.rng
        ok = lambda c: (
            c["family"] is None
            and c["renamed_to"] is None
            and self.unique_key(c["id"])
            and len(c["base"].split()[0]) >= 5
            and not c["aliases"]
        )
        for kind, want in [
            ("transposition", 8),
            ("missing_letter", 8),
            ("extra_letter", 6),
            ("substitution", 6),
            ("phonetic", 6),
        ]:

            def make(cid: int, kind: str = kind) -> bool:
                c = self.C[cid]
                words = c["base"].split()
                wi = (
                    len(words) - 1
                    if len(words) > 1 and rng.random() < 0.25 and len(words[-1]) >= 5
                    else 0
                )
                variants = typo_variants(words[wi], kind)
                for v in rng.sample(variants, len(variants)):
                    cand = " ".join(words[:wi] + [v] + words[wi + 1 :])
                    key = name_key(cand)
                    if not self.is_new_name(cand):
                        continue
                    d = dist(key, self.k(cid))
                    if d > 2 or self.others_within(key, d + 1, exclude=[cid]):
                        continue
                    self.add(
                        cand,
                        None,
                        self.link_context(cid),
                        self.link(cid),
                        f"typo/{kind}",
                        f"Misspelling of {c['key']} '{full_name(c)}' ({d} edit{'s' if d > 1 else ''}; every other "
                        f"CRM name is at least {d + 2} away) and the context matches its business "
                        f"({self.product(cid)[0]}).",
                    )
                    return True
                return False

            self.fill(ok, want, make)

        def spelling(cid: int) -> bool:
            c = self.C[cid]
            for old, new in SPELLING_VARIANTS.items():
                if old in c["base"]:
                    name = c["base"].replace(old, new)
                    if not self.is_new_name(name) or self.others_within(
                        name_key(name), 2, exclude=[cid]
                    ):
                        return False
                    self.add(
                        name,
                        None,
                        self.link_context(cid),
                        self.link(cid),
                        "typo/spelling_variant",
                        f"'{new}' for '{old}': the same name as {c['key']} '{full_name(c)}', and the context "
                        f"matches its business.",
                    )
                    return True
            return False

        for cid in self.spelling_pool:
            self.used.discard(cid)
        self.fill(lambda c: c["id"] in self.spelling_pool and self.unique_key(c["id"]), 4, spelling)

        twins = [
            t
            for t in self.f["twins"]
            if t[0] not in self.used
            and t[1] not in self.used
            and (self.C[t[0]]["sector"], self.C[t[0]]["product"])
            != (self.C[t[1]]["sector"], self.C[t[1]]["product"])
        ]
        rng.shuffle(twins)
        n = 0
        for pair in twins:
            if n == 5:
                break
            me, other = pair if rng.random() < 0.5 else pair[::-1]
            words = self.C[me]["base"].split()
            km, ko = self.k(me), self.k(other)
            cands = []
            for wi, w in enumerate(words):
                for kind in ("transposition", "missing_letter", "extra_letter"):
                    for v in typo_variants(w, kind):
                        cand = " ".join(words[:wi] + [v] + words[wi + 1 :])
                        key = name_key(cand)
                        if (
                            self.is_new_name(cand)
                            and dist(key, km) == 1
                            and dist(key, ko) >= 2
                            and not self.others_within(key, 2, exclude=[me, other])
                        ):
                            cands.append(cand)
            if not cands:
                continue
            self.used.update(pair)
            name = rng.choice(sorted(cands))
            cm, co = self.C[me], self.C[other]
            self.add(
                name,
                None,
                self.link_context(me),
                self.link(me),
                "typo/near_twin_context_decides",
                f"One edit from {cm['key']} '{cm['base']}' and {dist(name_key(name), ko)} from {co['key']} "
                f"'{co['base']}' (a different company); the context is {cm['key']}'s business "
                f"({self.product(me)[0]}), not {co['key']}'s ({self.product(other)[0]}).",
            )
            n += 1
        assert n == 5, n


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------

CATEGORY_NOTES = {
    "domain": "exact domain match: the URL hint normalizes (scheme, www., path, query, case) to a CRM domain",
    "name": "normalized-name match without a deciding URL: case, punctuation, spacing, legal suffix, "
    "AI/Labs/HQ-style word, alias, accents",
    "renamed": "the CRM holds the company's old domain; the email gives the new one; name and context match",
    "miss": "new companies: names similar to nothing, or sharing a common first word or sector word",
    "trap_create": "similar to a near-duplicate family or to one company, but URL/context show a new company",
    "trap_ask": "genuinely unclear between two CRM companies: the answer is to ask with both keys",
    "typo": "misspellings and spelling variants of one company, with a context that matches it",
}


def write_readme(crm: list[dict], cases: list[dict], stats: dict) -> str:
    kinds = Counter(c["kind"] for c in cases)
    cats = Counter(c["kind"].split("/")[0] for c in cases)
    actions = Counter(c["expected"]["action"] for c in cases)
    lines = []
    for cat in CATEGORY_NOTES:
        lines.append(
            f"| **{cat}** | **{cats[cat]}** | **{100 * cats[cat] / len(cases):.0f}%** | {CATEGORY_NOTES[cat]} |"
        )
        for kind in sorted(k for k in kinds if k.split("/")[0] == cat):
            lines.append(f"| `{kind}` | {kinds[kind]} | | |")
    kind_table = "\n".join(lines)
    return f"""# Company resolution evaluation set

Labelled cases for the composite tool that resolves a startup named in a deal-flow email
against the CRM's companies (exact domain → normalized name → fuzzy name and embedding
candidates), and decides to **link** to an existing company, **create** a new one, or
**ask** a person. Everything here is generated by `make_crm.py` (standard library, fixed
seed) and checked by `check.py`. All companies, names and domains are invented.

## Files

| file | what |
|---|---|
| `crm.json` | the seeded CRM: {len(crm)} companies |
| `cases.json` | {len(cases)} resolution cases, each answered against the unchanged `crm.json` |
| `make_crm.py` | the generator; writes the three files next to itself |
| `check.py` | validates the files and prints counts |

## Schema

`crm.json` is a list of companies, sorted by key:

```json
{{"key": "c0001", "name": "Kestrel Systems GmbH", "domain": "kestrel-systems.de" | null,
 "aliases": ["..."], "description": "one sentence"}}
```

Domains are stored the way `compound.platform.normalize.normalize_domain` stores them
(lower case, no scheme, no `www.`, no path) and are unique. {stats["no_domain"]} companies have
no domain, {stats["legal"]} carry a legal suffix in their name, {stats["aliases"]} have aliases.

`cases.json` is a list of cases, sorted by id:

```json
{{"id": "r0001", "name": "as written in the email", "url_hint": "https://www.Kestrel-Systems.de/en/" | null,
 "context": "one line from the email", "kind": "category/what-it-tests", "why": "for tricky cases",
 "expected": {{"action": "link", "key": "c0123"}}
           | {{"action": "create"}}
           | {{"action": "ask", "keys": ["c0123", "c0456"]}}}}
```

The expected answer is what a careful person would decide from `name`, `url_hint`,
`context` and the CRM records alone. `why` explains the tricky ones (and names the CRM
records involved); it and `kind` are for reviewers and must not be shown to the system
under test.

Each case is independent: resolve it against `crm.json` as shipped, not against a CRM
that earlier cases have added to.

## Near-duplicate families in the CRM

- **spelling twins** ({stats["twins"]} pairs): different companies whose names differ by one or two letters,
  with different domains and descriptions (`Northwind Robotics` warehouse robots in Pittsburgh vs
  `Northwind Robotix` classroom robot kits in Tallinn).
- **suffix siblings** ({stats["siblings"]} pairs): `X` and `X Labs` / `X AI` / … are different companies
  (`Acme Health` cardiac monitoring vs `Acme Health Labs` microbiome tests). Their names
  normalize to the same key, so normalization alone cannot pick one.
- **same stem, other sector** ({stats["groups"]} groups): `Bloom` (florist marketplace) vs `Bloom Analytics`
  (BI dashboards).
- **common first words**: {stats["common"]} companies start with one of {", ".join(COMMON_STEMS)}.
- **renamed domains**: {stats["renamed"]} companies moved to a new domain that the CRM does not know;
  `crm.json` keeps the old one.
- **legal suffixes and accents**: names such as `Kestrel Systems GmbH`, `… S.p.A.`, `… B.V.`, `… A/S`,
  `… Pvt Ltd`, `… Pte Ltd`, `… OÜ`, `… DAC`, `… Lda`, and `Søndervig Water`, `Łąka Foods`, `Café Nordique`
  (`ø`, `æ` and `ł` do not decompose under NFKD).

Eight cases are fixed showcases of the examples above (Northwind, Acme Health, Bloom,
Kestrel); the rest are drawn at random from the families and from unrelated companies.

## Scoring

Run the resolver once per case. Its answer is `link(key)`, `create` or `ask(keys)`.

| expected \\ answer | link, right key | link, other key | create | ask |
|---|---|---|---|---|
| link | correct | **wrong link** (precision error) | missed link (recall miss, not a precision error) | unnecessary ask (a cost, not an error) |
| create | — | **wrong link = merging two companies** (precision error) | correct | unnecessary ask (a cost) |
| ask | — | **silent pick** (precision error) | **silent duplicate** (error) | correct if the question offers every expected key |

- **precision** = correct links / all links made. Every link to the wrong company counts against it:
  linking a `create` case merges two different companies; linking an `ask` case silently picks one.
- **recall** = correct links / `link` cases. `create` on a `link` case is a recall miss, not a
  precision error.
- **ask accuracy** = `ask` answers offering every expected key / `ask` cases. `create` on an `ask` case
  is reported separately as a silent duplicate.
- **unnecessary-ask rate** = `ask` answers on `link` and `create` cases / those cases (a cost, not an error).
- Report precision and recall per category (the part of `kind` before `/`) as well as overall; the
  traps are where precision is won or lost.

```python
def score(cases, answers):  # answers[case_id] = {{"action": ..., "key"/"keys": ...}}
    links = correct = wrong = asks_ok = silent_dup = extra_asks = 0
    for case in cases:
        exp, got = case["expected"], answers[case["id"]]
        if got["action"] == "link":
            links += 1
            if exp["action"] == "link" and got["key"] == exp["key"]:
                correct += 1
            else:
                wrong += 1
        elif got["action"] == "ask":
            if exp["action"] == "ask":
                asks_ok += set(exp["keys"]) <= set(got["keys"])
            else:
                extra_asks += 1
        elif exp["action"] == "ask":
            silent_dup += 1
    n_link = sum(c["expected"]["action"] == "link" for c in cases)
    return {{"precision": correct / max(links, 1), "recall": correct / n_link, "wrong_links": wrong,
            "ask_accuracy": asks_ok / sum(c["expected"]["action"] == "ask" for c in cases),
            "silent_duplicates": silent_dup, "unnecessary_asks": extra_asks}}
```

## Counts

Expected actions: {actions["link"]} link, {actions["create"]} create, {actions["ask"]} ask.
The brief's "traps that must not link" are `trap_create` + `trap_ask` =
{cats["trap_create"] + cats["trap_ask"]} cases ({100 * (cats["trap_create"] + cats["trap_ask"]) / len(cases):.0f}%).

| kind | cases | share | what it tests |
|---|---|---|---|
{kind_table}

## Regenerate and check

```sh
/work/main/.venv/bin/python modules/leads/evals/resolution/make_crm.py
/work/main/.venv/bin/python modules/leads/evals/resolution/check.py
```

The output is byte-for-byte deterministic (seed {SEED}, sorted JSON keys, no dependence on
hash order). Changing the generator changes the data: keep the seed and regenerate all
three files together. The generator refuses a case unless it can verify it: names meant to
be new are checked against every CRM name and alias (after folding case, accents,
punctuation, spacing, legal forms and AI/Labs/HQ/App/Technologies/Tech/Software/Group/io
words) and must be far from all of them; misspellings must be closer to their company than to
any other by at least two edits (or one, when the context separates two twins); and every URL
that is not meant to match is checked not to be a CRM domain.
"""


def main() -> int:
    rng = random.Random(SEED)
    b = Builder(rng)
    families = build_crm(b)
    comps = b.companies
    # keys are assigned in shuffled order so that family members are not neighbours
    order = list(range(len(comps)))
    rng.shuffle(order)
    for n, cid in enumerate(order, 1):
        comps[cid]["key"] = f"c{n:04d}"
    for cid in order:
        comps[cid]["description"] = describe(rng, comps[cid])

    maker = CaseMaker(b, families)
    maker.curated_cases()
    maker.domain_cases()
    maker.name_cases()
    maker.renamed_cases()
    maker.miss_cases()
    maker.trap_cases()
    maker.typo_cases()
    cases = maker.cases
    rng.shuffle(cases)
    for n, case in enumerate(cases, 1):
        case["id"] = f"r{n:04d}"

    crm = sorted(
        (
            {
                "key": c["key"],
                "name": full_name(c),
                "domain": c["domain"],
                "aliases": c["aliases"],
                "description": c["description"],
            }
            for c in comps
        ),
        key=lambda c: c["key"],
    )
    names = {c["name"] for c in crm}
    bad = [n for n in names if slug(n) in FAMOUS or slug(n.split()[0]) in FAMOUS]
    assert not bad, bad
    stats = {
        "no_domain": sum(c["domain"] is None for c in crm),
        "legal": sum(c["legal"] is not None for c in comps),
        "aliases": sum(bool(c["aliases"]) for c in comps),
        "twins": len(families["twins"]),
        "siblings": len(families["siblings"]),
        "groups": len(families["groups"]),
        "common": sum(len(m) for m in families["common"]),
        "renamed": sum(c["renamed_to"] is not None for c in comps),
    }
    dump = lambda obj: json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    (HERE / "crm.json").write_text(dump(crm), encoding="utf-8")
    (HERE / "cases.json").write_text(dump(sorted(cases, key=lambda c: c["id"])), encoding="utf-8")
    (HERE / "README.md").write_text(write_readme(crm, cases, stats), encoding="utf-8")
    kinds = Counter(c["kind"].split("/")[0] for c in cases)
    print(
        f"{len(crm)} companies, {len(cases)} cases: "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
