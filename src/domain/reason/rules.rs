//! Rule 7: the reviewer-flag rules (First-Amendment activity, protected characteristics,
//! non-official purpose, positive-identification language), their exclusions, and the scan
//! of one view of the text.

use std::sync::LazyLock;

use regex::Regex;

use crate::domain::reason::pattern::compile;

/// The reviewer flag a rule raises (its finding code in
/// [`codes`](crate::domain::reason::codes)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Category {
    /// `first_amendment_activity`.
    FirstAmendment,
    /// `protected_characteristic`.
    Protected,
    /// `non_official_purpose`.
    NonOfficial,
    /// `positive_identification_language`.
    PositiveId,
}

/// One flag rule: a pattern and the context that excuses a match.
pub(super) struct RuleSpec {
    category: Category,
    pattern: &'static str,
    /// Skip the match if the text just before it matches (anchored with `$`).
    not_before: Option<&'static str>,
    /// Skip the match if the text just after it matches (anchored with `^`).
    not_after: Option<&'static str>,
    /// Skip the match when it reads as the month of March (see [`is_month`]).
    month_check: bool,
}

/// A rule with no exclusion.
const fn rule(category: Category, pattern: &'static str) -> RuleSpec {
    RuleSpec {
        category,
        pattern,
        not_before: None,
        not_after: None,
        month_check: false,
    }
}

/// A rule with exclusions before and/or after the match.
const fn rule_x(
    category: Category,
    pattern: &'static str,
    not_before: Option<&'static str>,
    not_after: Option<&'static str>,
) -> RuleSpec {
    RuleSpec {
        category,
        pattern,
        not_before,
        not_after,
        month_check: false,
    }
}

use Category::{FirstAmendment as FA, NonOfficial as NO, PositiveId as PI, Protected as PC};

/// A street or city word after "temple", "church"...: a place name.
const PLACE_SUFFIX: &str = r"^\s+(?:st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|ln|lane|way|pl|place|city|hill|park|ct|court)\b";

/// Every flag rule (rule 7), by category.
pub(super) const RULES: &[RuleSpec] = &[
    // --- First-Amendment activity (NY MPTC §V.B.1-2) ---
    rule(FA, r"\b(?:counter-?)?protest(?:s|ed|er|ers|ing|or|ors)?\b"),
    rule_x(FA, r"\brall(?:y|ies|ied|ying)\b", None, Some(r"^['’]s\b")),
    rule_x(
        FA,
        r"\bdemonstrat(?:ion|ions|or|ors|ing|ed|e|es)\b",
        None,
        Some(r"^\s+(?:purposes?|only|search|exercise|run)\b"),
    ),
    // "march" the month (see `is_month`), otherwise the activity.
    RuleSpec {
        category: FA,
        pattern: r"\bmarch\b",
        not_before: None,
        not_after: None,
        month_check: true,
    },
    rule(FA, r"\bmarch(?:es|ed|ers?|ing)\b"),
    rule(FA, r"\bpicket(?:s|ed|ing|ers?)?\b"),
    rule(FA, r"\briot(?:s|ers?|ing)?\b"),
    rule(FA, r"\bvigils?\b"),
    rule(FA, r"\bsit-?ins?\b"),
    rule(FA, r"\bboycott\w*"),
    rule(
        FA,
        r"\bstrikers\b|\bon\s+strike\b|\b(?:labor|labour|union|general|workers?|teachers|hunger)\s+strikes?\b|\bwalk-?outs?\b",
    ),
    rule(
        FA,
        r"\bunions?\s+(?:organi[sz]\w*|meetings?|members?|membership|activit\w*|rall\w*|leaders?|drives?|reps?|representatives?|halls?|actions?)\b",
    ),
    rule(
        FA,
        r"\b(?:labor|labour|trade|workers['’]?)\s+unions?\b|\bunioni[sz]\w*|\b(?:labor|labour|community|union|political)\s+organi[sz]\w*",
    ),
    rule_x(
        FA,
        r"\b(?:mosques?|masjids?|churches|church|synagogues?|shuls?|temples?|cathedrals?|chapels?|gurdwaras?|parish(?:es)?)\b",
        None,
        Some(PLACE_SUFFIX),
    ),
    rule(
        FA,
        r"\b(?:congregations?|congregants?|worship\w*|prayers?|praying|sermons?|clergy|imams?|rabbis?|priests?|pastors?)\b",
    ),
    rule(
        FA,
        r"\b(?:religious|sunday|sabbath|shabbat|friday|jumu['’]?ah|easter|christmas|worship)\s+(?:services?|mass|gatherings?|meetings?|ceremon\w*|events?)\b",
    ),
    rule(
        FA,
        r"\b(?:catholic|midnight|sunday|attend(?:ing|ed|s)?)\s+mass\b",
    ),
    rule(
        FA,
        r"\bpolitic(?:s|al|ally|ians?)\b|\bcampaign(?:s|ing|ers?)?\b|\belections?\b|\bvot(?:e|es|er|ers|ing)\b|\bballots?\b|\bpolling\s+(?:places?|stations?|locations?)\b",
    ),
    rule(
        FA,
        r"\bactivis(?:t|ts|m)\b|\badvocacy\b|\bpetition(?:s|ed|ing|ers?)?\b",
    ),
    rule(
        FA,
        r"\b(?:town\s+hall|city\s+council|school\s+board|board\s+of\s+supervisors|neighbou?rhood\s+council|community|public|political)\s+meetings?\b|\bpublic\s+comment\b",
    ),
    rule(
        FA,
        r"\bpress\s+conferences?\b|\b(?:journalists?|photojournalists?|reporters|news\s+crews?|press\s+credentials?)\b",
    ),
    rule(
        FA,
        r"\bfree\s+speech\b|\b(?:first|1st)\s+amendment\b|\bassembl(?:y|ies)\b|\blawful\s+(?:events?|gatherings?|activit(?:y|ies))\b",
    ),
    rule_x(
        FA,
        r"\bgatherings?\b",
        Some(r"\b(?:evidence|information|intel\w*|data|info)\s+$"),
        Some(r"^\s+(?:of\s+)?(?:evidence|information|intel\w*|data|info)\b"),
    ),
    rule(
        FA,
        r"\b(?:attendees?|participants?|audience|spectators?|crowds?|parades?)\b",
    ),
    rule(
        FA,
        r"\bblack\s+lives\s+matter\b|\bblm\b|\bantifa\b|\bmaga\b|\boccupy\b|\bpro-?(?:life|choice|palestin\w*|israel\w*)\b|\bpride\s+(?:parade|march|event|festival)s?\b",
    ),
    rule(
        FA,
        r"\b(?:political|religious|social)\s+(?:views?|beliefs?|opinions?|affiliations?|activit(?:y|ies)|groups?|organi[sz]ations?)\b|\bideolog\w*",
    ),
    rule(
        FA,
        r"\bmembers?\s+of\s+(?:an?\s+|the\s+)?(?:church|mosque|synagogue|temple|union|party|club|congregation|movement|association)\b",
    ),
    // --- Protected characteristics (NY MPTC §V.B.3) ---
    rule_x(
        PC,
        r"\brac(?:e|es|ial|ially)\b",
        Some(
            r"\b(?:street|drag|car|foot|horse|bike|speed|illegal|exhibition|motorcycle|boat|relay)[\s-]*$",
        ),
        Some(r"^[\s-]*(?:track|way|car|horse|course)"),
    ),
    rule(PC, r"\bracis(?:m|t|ts)\b|\bethnic(?:ity|ities|ally)?\b"),
    rule(
        PC,
        r"\bskin\s+(?:colou?r\w*|tone|complexion)\b|\bcomplexions?\b|\b(?:people|persons?|man|woman|men|women|individuals?|communit(?:y|ies)|folks?|youths?|kids?)\s+of\s+colou?r\b",
    ),
    rule_x(
        PC,
        r"\bcolou?r(?:ed|s)?\b",
        Some(
            r"\b(?:red|blue|green|yellow|orange|purple|pink|brown|black|white|gr[ae]y|silver|gold|tan|beige|maroon|navy|dark|light|bright|pale|multi|two|solid|same|different|what|which|paint|vehicle|car|truck|hair|eye|eyes|shirt|clothing)[\s-]*$",
        ),
        Some(
            r"^[\s-]+(?:of\s+(?:the\s+|his\s+|her\s+|their\s+|a\s+)?)?(?:vehicles?|cars?|trucks?|vans?|sedans?|suvs?|motorcycles?|bikes?|bicycles?|shirts?|hoodies?|jackets?|pants|hats?|caps?|clothing|clothes|shoes|backpacks?|bags?|photos?|photographs?|images?|pictures?|prints?|cop(?:y|ies)|scheme|paint|hair|eyes?|tattoos?|ink)\b",
        ),
    ),
    rule(
        PC,
        r"\b(?:black|white|brown)\s+(?:males?|females?|m|f|men|man|women|woman|persons?|people|individuals?|subjects?|suspects?|juveniles?|teens?|teenagers?|adults?|guys?|boys?|girls?|kids?|youths?|folks?|communit(?:y|ies)|neighbou?rhoods?|famil(?:y|ies)|couples?)\b|\b(?:blacks|whites)\b",
    ),
    rule(
        PC,
        r"\b(?:males?|females?)\s*,?\s*(?:black|white|brown)\b|\b[mf]\s*/\s*[bwha]\b|\b[bwha]\s*/\s*[mf]\b",
    ),
    rule(
        PC,
        r"\b(?:hispanics?|latin[oa]s?|latinx|latine|chican[oa]s?|asians?|caucasians?|african[\s-]americans?|africans?|afro-\w+|native\s+americans?|american\s+indians?|indigenous|pacific\s+islanders?|arabs?|middle[\s-]eastern(?:ers?)?)\b",
    ),
    rule(
        PC,
        r"\b(?:mexicans?|salvadorans?|guatemalans?|hondurans?|nicaraguans?|central\s+americans?|south\s+americans?|cubans?|puerto\s+ricans?|dominicans?|haitians?|jamaicans?|nigerians?|ethiopians?|eritreans?|somalis?|armenians?|iranians?|persians?|russians?|ukrainians?|chinese|koreans?|japanese|vietnamese|filipin[oa]s?|cambodians?|thai|indians?|pakistanis?|bangladeshis?|afghans?|syrians?|iraqis?|lebanese|palestinians?|israelis?|romani|gypsy|gypsies|gringos?)\b",
    ),
    rule(
        PC,
        r"\b(?:foreigners?|foreign\s+nationals?|nationalit(?:y|ies)|national\s+origins?|country\s+of\s+origin|ancestry|descent|immigrants?|immigration|immigrat\w*|migrants?|undocumented|illegal\s+aliens?|illegals|aliens?|deport\w*|refugees?|asylum|citizenship|non-?citizens?|green\s+cards?|visa\s+status|legal\s+status|border\s+patrol)\b|\bice\s+(?:detain\w*|holds?|agents?|raids?|requests?|enforcement|custody|officers?)\b|\bimmigration\s+and\s+customs\b|\b(?:spanish|arabic|chinese|korean|armenian|farsi|russian|non-english)[\s-]speak\w*|\baccents?\b",
    ),
    rule_x(
        PC,
        r"\b(?:religio(?:n|ns|us)|creeds?|muslims?|moslems?|islam(?:ic)?|jews?|jewish|judaism|christians?|christianity|catholics?|protestants?|evangelicals?|mormons?|hindus?|hinduism|sikhs?|sikhism|buddhists?|buddhism|atheists?|agnostics?|jehovah['’]?s?\s+witness(?:es)?|scientologists?|hijabs?|niqabs?|burqas?|burkas?|turbans?|yarmulkes?|kippahs?|kippot|headscarf|headscarves|faith)\b",
        Some(r"\b(?:good|bad)\s+$"),
        None,
    ),
    rule_x(
        PC,
        r"\bsex\b",
        Some(r"\b(?:unlawful|oral|forced|child)\s+$"),
        Some(
            r"^[\s-]*(?:offen\w*|crimes?|traffick\w*|work\w*|acts?|abuse\w*|assaults?|battery|registr\w*|predators?|tapes?|videos?|solicitation)",
        ),
    ),
    rule(
        PC,
        r"\bgenders?\b|\bsexual\s+orientation\b|\b(?:transgender\w*|transsexual\w*|trans\s+(?:wom[ae]n|m[ae]n|persons?|people|individuals?)|nonbinary|non-binary|genderqueer|gender[\s-]?fluid|intersex|cross-?dress\w*|drag\s+(?:queens?|kings?|shows?|performers?)|gay|gays|lesbians?|bisexual\w*|queer|homosexual\w*|heterosexual\w*|lgbt\w*)\b",
    ),
    rule(
        PC,
        r"\bmarital\b|\b(?:married|unmarried|divorced|divorcees?|widow(?:s|ed|er|ers)?|single\s+(?:mothers?|fathers?|parents?))\b",
    ),
    rule_x(
        PC,
        r"\b(?:disabilit(?:y|ies)|disabled|handicap\w*|wheelchairs?|blind|deaf|hard\s+of\s+hearing|mute|autis\w*|down\s+syndrome|mentally\s+(?:ill|disabled|challenged|retarded)|mental\s+(?:illness|health|disabilit\w*|disorders?)|psychiatric|schizophreni\w*|bipolar|dementia|alzheimer\w*|amputees?|paraplegic|quadriplegic|special\s+needs)\b",
        None,
        Some(r"^\s+(?:vehicles?|cars?|trucks?|alarms?|cameras?|accounts?|spots?)\b"),
    ),
    // --- Non-official purpose (NY MPTC §V.A) ---
    rule(
        NO,
        r"\bpersonal\s+(?:use|reasons?|matters?|interest|curiosity|business)\b|\bcuriosity\b|\bcurious\b|\bjust\s+(?:checking|looking|wondering)\b|\bfor\s+fun\b",
    ),
    rule(
        NO,
        r"\btest(?:ing)?\s+(?:search|query|run|only|the\s+system)\b|^\s*test(?:ing)?\b|\b(?:training|demo|demonstration|practice)\s+(?:searche?s?|purposes?|exercise|run|only)\b",
    ),
    rule(
        NO,
        r"\bex-?(?:girlfriend|boyfriend|wife|husband|partner)\b|\bmy\s+(?:neighbou?r|friend|girlfriend|boyfriend|wife|husband|ex|date|family|relative|cousin)\b|\bdating\b|\btinder\b",
    ),
    // --- Positive identification (LACRIS "Face Search Requests"; NY MPTC §IV.E.3) ---
    rule(
        PI,
        r"\bpositive(?:ly)?\s+(?:id|i\.d\b|ident\w*|match(?:es)?)\b|\b(?:definite|certain|conclusive|100\s?%)\s+(?:id|ident\w*|match)\b",
    ),
];

/// A [`RuleSpec`] with its patterns compiled.
pub(super) struct CompiledRule {
    category: Category,
    re: Regex,
    not_before: Option<Regex>,
    not_after: Option<Regex>,
    month_check: bool,
}

/// [`RULES`], compiled once.
pub(super) static COMPILED_RULES: LazyLock<Vec<CompiledRule>> = LazyLock::new(|| {
    RULES
        .iter()
        .map(|r| CompiledRule {
            category: r.category,
            re: compile(r.pattern),
            not_before: r.not_before.map(compile),
            not_after: r.not_after.map(compile),
            month_check: r.month_check,
        })
        .collect()
});

/// Context window (bytes) examined around a match for exclusions.
const CONTEXT: usize = 48;

/// The nearest char boundary at or before `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The nearest char boundary at or after `i` (at most `s.len()`).
fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

/// All flagged terms in one view of the text, per category.
pub(super) fn scan_flags(view: &str) -> Vec<(Category, String)> {
    let mut out = Vec::new();
    for rule in COMPILED_RULES.iter() {
        for m in rule.re.find_iter(view) {
            let before = &view[floor_boundary(view, m.start().saturating_sub(CONTEXT))..m.start()];
            let after = &view[m.end()..ceil_boundary(view, m.end() + CONTEXT)];
            if rule.not_before.as_ref().is_some_and(|x| x.is_match(before)) {
                continue;
            }
            if rule.not_after.as_ref().is_some_and(|x| x.is_match(after)) {
                continue;
            }
            if rule.month_check && is_month(before, after) {
                continue;
            }
            out.push((rule.category, m.as_str().to_owned()));
        }
    }
    out
}

/// A day number right before it ("3 March", "3rd of March").
pub(super) static MONTH_DAY_BEFORE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\b\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?[\s,-]*$"));
/// A day or year right after it ("March 3", "March, 2026", "March-2026").
pub(super) static MONTH_NUMBER_AFTER: LazyLock<Regex> = LazyLock::new(|| compile(r"^[\s,.-]*\d"));
/// A time preposition right before it ("in March", "since March").
pub(super) static MONTH_PREP_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:in|since|until|till|during|through|thru|early|late|mid|last|next|this|end\s+of|beginning\s+of|start\s+of|month\s+of|of)[\s-]+$",
    )
});
/// End of the phrase right after it ("in March,", "since March.").
pub(super) static MONTH_PHRASE_END: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^\s*(?:[,.;:)/]|$)"));

/// Does this "march" read as the month? Yes when it is next to a day or a
/// year, or when it follows a time preposition and ends the phrase. "march
/// on city hall", "during the march", "protest march" are not the month.
fn is_month(before: &str, after: &str) -> bool {
    MONTH_NUMBER_AFTER.is_match(after)
        || MONTH_DAY_BEFORE.is_match(before)
        || (MONTH_PREP_BEFORE.is_match(before) && MONTH_PHRASE_END.is_match(after))
}
