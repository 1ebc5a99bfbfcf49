"""Where a location as an email writes it lies ("Omaha, NE", "München", "London, ON"):
a small gazetteer of countries, their larger cities and US/Canadian state codes, enough
to tell an ICP's regions apart. A place it does not know is unknown, never a mismatch."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


_NORTH_AMERICA = ("north america",)
_EUROPE_EU = ("europe", "eu")
_EUROPE = ("europe",)
_LATAM = ("latam", "latin america")

# Country → (the regions it lies in, its names and larger cities).
_COUNTRIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "us": (
        ("us", "usa", "united states", *_NORTH_AMERICA),
        _names(
            "usa,united states,u.s.,america,sf,nyc,la,new york,san francisco,bay area,los angeles,"
            "boston,austin,seattle,chicago,denver,miami,atlanta,pittsburgh,philadelphia,portland,"
            "detroit,houston,dallas,brooklyn,manhattan,oakland,palo alto,san diego,san jose,"
            "minneapolis,nashville,salt lake city,boulder,phoenix,omaha,kansas city,hartford,"
            "memphis,baltimore,tulsa,des moines,fresno,raleigh,charlotte,charleston,cleveland,"
            "columbus,cincinnati,indianapolis,milwaukee,st. louis,new orleans,sacramento,"
            "long beach,irvine,berkeley,sausalito,napa,stockton,boise,spokane,tacoma,albuquerque,"
            "huntsville,savannah,louisville,richmond,orlando,tampa,las vegas,honolulu,anchorage,"
            "silicon valley,washington dc,d.c."
        ),
    ),
    "canada": (
        ("canada", *_NORTH_AMERICA),
        _names(
            "canada,toronto,montreal,montréal,vancouver,ottawa,calgary,edmonton,waterloo,québec,"
            "quebec city,halifax,victoria,winnipeg,mississauga,guelph,thunder bay,sudbury,laval,"
            "kitchener"
        ),
    ),
    "mexico": (
        ("mexico", *_LATAM, *_NORTH_AMERICA),
        _names("mexico,méxico,cdmx,mexico city,monterrey,guadalajara,puebla,oaxaca,tijuana"),
    ),
    "uk": (
        ("uk", "united kingdom", *_EUROPE),
        _names(
            "uk,united kingdom,england,scotland,wales,northern ireland,london,manchester,edinburgh,"
            "bristol,cambridge,oxford,leeds,glasgow,birmingham,belfast,cardiff,bath,swindon,"
            "cheltenham,taunton,stroud,portishead,wells,liverpool,newcastle,sheffield,nottingham,"
            "brighton,reading"
        ),
    ),
    "ireland": (("ireland", *_EUROPE_EU), _names("ireland,dublin,cork,galway")),
    "germany": (
        ("germany", "dach", *_EUROPE_EU),
        _names(
            "germany,deutschland,berlin,münchen,munich,hamburg,köln,cologne,frankfurt,stuttgart,"
            "düsseldorf,leipzig,dresden,karlsruhe,aachen,nürnberg,nuremberg,würzburg,rosenheim,"
            "regensburg,landshut,ingolstadt,garching,erlangen,augsburg,garmisch-partenkirchen,"
            "heidelberg,bonn,hannover,bremen,freiburg,mannheim,potsdam"
        ),
    ),
    "austria": (("austria", "dach", *_EUROPE_EU), _names("austria,österreich,wien,vienna,graz")),
    "switzerland": (
        ("switzerland", "dach", *_EUROPE),
        _names("switzerland,schweiz,suisse,zürich,zurich,basel,geneva,genève,lausanne,bern"),
    ),
    "france": (
        ("france", *_EUROPE_EU),
        _names(
            "france,paris,lyon,marseille,toulouse,bordeaux,nantes,lille,grenoble,nice,rennes,"
            "angers,tours,vannes,cholet,roscoff,la rochelle,saint-nazaire,guérande,"
            "les sables-d'olonne,montpellier,strasbourg"
        ),
    ),
    "spain": (
        ("spain", *_EUROPE_EU),
        _names("spain,españa,madrid,barcelona,valencia,murcia,sevilla,seville,bilbao,málaga"),
    ),
    "portugal": (
        ("portugal", *_EUROPE_EU),
        _names(
            "portugal,lisbon,lisboa,porto,coimbra,aveiro,évora,ericeira,braga,"
            "santa maria da feira,peso da régua"
        ),
    ),
    "netherlands": (
        ("netherlands", "benelux", *_EUROPE_EU),
        _names("netherlands,holland,amsterdam,rotterdam,utrecht,eindhoven,the hague,delft"),
    ),
    "belgium": (("belgium", "benelux", *_EUROPE_EU), _names("belgium,brussels,antwerp,ghent")),
    "nordics": (
        ("nordics", *_EUROPE),
        _names(
            "norway,oslo,bergen,trondheim,iceland,reykjavik,sweden,stockholm,gothenburg,malmö,"
            "denmark,copenhagen,aarhus,finland,helsinki,espoo,tampere"
        ),
    ),
    "central europe": (
        _EUROPE_EU,
        _names(
            "italy,milan,milano,rome,turin,poland,warsaw,kraków,krakow,poznań,gdańsk,wrocław,"
            "czech republic,czechia,prague,brno,estonia,tallinn,latvia,riga,lithuania,vilnius,"
            "greece,athens,hungary,budapest,romania,bucharest,slovenia,ljubljana,croatia,zagreb"
        ),
    ),
    "latam": (
        _LATAM,
        _names(
            "brazil,brasil,são paulo,sao paulo,rio de janeiro,argentina,buenos aires,córdoba,"
            "chile,santiago,antofagasta,colombia,bogotá,bogota,medellín,medellin,peru,lima,"
            "uruguay,montevideo,ecuador,quito"
        ),
    ),
    "asia": (
        ("asia", "apac"),
        _names(
            "india,bangalore,bengaluru,mumbai,delhi,pune,hyderabad,chennai,jaipur,lucknow,patna,"
            "nagpur,nashik,coimbatore,singapore,seoul,tokyo,osaka,manila,jakarta,bangkok,"
            "ho chi minh city,hanoi,kuala lumpur,hong kong,shanghai,beijing,shenzhen,taipei"
        ),
    ),
    "oceania": (
        ("oceania", "apac", "australia"),
        _names("australia,sydney,melbourne,adelaide,brisbane,perth,hobart,new zealand,auckland"),
    ),
    "middle east": (
        ("middle east", "mena"),
        _names("israel,tel aviv,jerusalem,dubai,abu dhabi,riyadh,doha,uae"),
    ),
    "africa": (
        ("africa",),
        _names(
            "nigeria,lagos,kenya,nairobi,south africa,cape town,durban,johannesburg,uganda,"
            "kampala,ghana,accra,egypt,cairo,rwanda,kigali"
        ),
    ),
}

_US_STATES = _names(
    "al,ak,az,ar,ca,co,ct,de,fl,ga,hi,id,il,in,ia,ks,ky,la,me,md,ma,mi,mn,ms,mo,mt,ne,nv,nh,nj,"
    "nm,ny,nc,nd,oh,ok,or,pa,ri,sc,sd,tn,tx,ut,vt,va,wa,wv,wi,wy,dc,"
    "ohio,texas,california,new jersey,vermont,oregon,washington,massachusetts,colorado,"
    "pennsylvania,georgia,florida,illinois,michigan,kansas,missouri,nebraska,iowa"
)
_CA_PROVINCES = _names(
    "ab,bc,mb,nb,nl,ns,nt,nu,on,pe,qc,sk,yt,ontario,british columbia,alberta,nova scotia"
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text.lower()).strip()


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, frozenset[str]], re.Pattern[str]]:
    regions: dict[str, set[str]] = {}
    for country_regions, names in _COUNTRIES.values():
        for name in names:
            regions.setdefault(_fold(name), set()).update(country_regions)
    places = sorted(regions, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![^\W_])(" + "|".join(re.escape(place) for place in places) + r")(?![^\W_])"
    )
    return {place: frozenset(found) for place, found in regions.items()}, pattern


def regions_of(location: str) -> frozenset[str] | None:
    """The regions a location lies in, or None when the gazetteer does not know it."""
    place = _fold(location)
    if not place:
        return None
    # "Denver, CO", "London, ON": a state or province after a comma decides the country.
    for part in place.split(",")[1:]:
        code = part.strip().strip(".")
        if code in _US_STATES:
            return frozenset(_COUNTRIES["us"][0])
        if code in _CA_PROVINCES:
            return frozenset(_COUNTRIES["canada"][0])
    known, pattern = _index()
    found: set[str] = set()
    for match in pattern.finditer(place):
        found |= known[match.group(1)]
    return frozenset(found) if found else None


def in_region(location: str, region: str) -> bool | None:
    """Whether `location` lies in `region` (an ICP term such as "europe", "us", "germany");
    None when it cannot be told."""
    wanted = _fold(region)
    located = regions_of(location)
    if located is None:
        # The region named outright ("remote, Europe") still counts.
        return (
            True
            if re.search(rf"(?<![^\W_]){re.escape(wanted)}(?![^\W_])", _fold(location))
            else None
        )
    return wanted in located or any(wanted == _fold(name) for name in _names(location))


@lru_cache(maxsize=1)
def region_terms() -> frozenset[str]:
    """Every region an ICP may name ("europe", "latam", "us", "germany", "nordics", …)."""
    return frozenset(
        region for country_regions, _ in _COUNTRIES.values() for region in country_regions
    ) | frozenset(_COUNTRIES)
