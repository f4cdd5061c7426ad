//! Reading the traveller's words: commands, greetings and the language they write in.
//!
//! Commands are recognised in every language the bot speaks, whatever language the
//! conversation is in, because travellers mix them. A message counts as a command only when
//! it is nothing but the command (punctuation and case aside), so "help me find an eSIM for
//! Japan" is a search, not a call for help.

use whatlang::{Detector, Lang};

use super::texts::Language;

/// Something the traveller can ask for at any point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Menu,
    Help,
    Restart,
    MyEsims,
    Usage,
    TopUp,
    Agent,
    Language(Language),
}

const COMMANDS: &[(&str, Command)] = &[
    ("menu", Command::Menu),
    ("menú", Command::Menu),
    ("menü", Command::Menu),
    ("options", Command::Menu),
    ("help", Command::Help),
    ("?", Command::Help),
    ("ayuda", Command::Help),
    ("ajuda", Command::Help),
    ("aide", Command::Help),
    ("hilfe", Command::Help),
    ("restart", Command::Restart),
    ("start over", Command::Restart),
    ("cancel", Command::Restart),
    ("reset", Command::Restart),
    ("reiniciar", Command::Restart),
    ("empezar de nuevo", Command::Restart),
    ("cancelar", Command::Restart),
    ("recomeçar", Command::Restart),
    ("recomecar", Command::Restart),
    ("recommencer", Command::Restart),
    ("annuler", Command::Restart),
    ("neustart", Command::Restart),
    ("neu starten", Command::Restart),
    ("von vorne", Command::Restart),
    ("abbrechen", Command::Restart),
    ("my esims", Command::MyEsims),
    ("my esim", Command::MyEsims),
    ("my orders", Command::MyEsims),
    ("mis esims", Command::MyEsims),
    ("mis esim", Command::MyEsims),
    ("meus esims", Command::MyEsims),
    ("meus esim", Command::MyEsims),
    ("mes esims", Command::MyEsims),
    ("mes esim", Command::MyEsims),
    ("meine esims", Command::MyEsims),
    ("meine esim", Command::MyEsims),
    ("usage", Command::Usage),
    ("data left", Command::Usage),
    ("uso", Command::Usage),
    ("consumo", Command::Usage),
    ("utilisation", Command::Usage),
    ("consommation", Command::Usage),
    ("verbrauch", Command::Usage),
    ("datenverbrauch", Command::Usage),
    ("top up", Command::TopUp),
    ("topup", Command::TopUp),
    ("top-up", Command::TopUp),
    ("recargar", Command::TopUp),
    ("recarga", Command::TopUp),
    ("recarregar", Command::TopUp),
    ("recharger", Command::TopUp),
    ("recharge", Command::TopUp),
    ("aufladen", Command::TopUp),
    ("agent", Command::Agent),
    ("human", Command::Agent),
    ("person", Command::Agent),
    ("support", Command::Agent),
    ("agente", Command::Agent),
    ("humano", Command::Agent),
    ("persona", Command::Agent),
    ("pessoa", Command::Agent),
    ("atendente", Command::Agent),
    ("humain", Command::Agent),
    ("conseiller", Command::Agent),
    ("mensch", Command::Agent),
    ("mitarbeiter", Command::Agent),
    ("english", Command::Language(Language::En)),
    ("inglés", Command::Language(Language::En)),
    ("español", Command::Language(Language::Es)),
    ("espanol", Command::Language(Language::Es)),
    ("spanish", Command::Language(Language::Es)),
    ("português", Command::Language(Language::Pt)),
    ("portugues", Command::Language(Language::Pt)),
    ("portuguese", Command::Language(Language::Pt)),
    ("français", Command::Language(Language::Fr)),
    ("francais", Command::Language(Language::Fr)),
    ("french", Command::Language(Language::Fr)),
    ("deutsch", Command::Language(Language::De)),
    ("german", Command::Language(Language::De)),
];

/// Words that name the language to switch to after "language", "idioma", ...
const LANGUAGE_PREFIXES: &[&str] = &[
    "language", "idioma", "língua", "lingua", "langue", "sprache",
];

const GREETINGS: &[(&str, Language)] = &[
    ("hi", Language::En),
    ("hello", Language::En),
    ("hey", Language::En),
    ("hiya", Language::En),
    ("good morning", Language::En),
    ("good afternoon", Language::En),
    ("good evening", Language::En),
    ("start", Language::En),
    ("hola", Language::Es),
    ("buenas", Language::Es),
    ("buenos días", Language::Es),
    ("buenos dias", Language::Es),
    ("buenas tardes", Language::Es),
    ("buenas noches", Language::Es),
    ("olá", Language::Pt),
    ("ola", Language::Pt),
    ("oi", Language::Pt),
    ("bom dia", Language::Pt),
    ("boa tarde", Language::Pt),
    ("boa noite", Language::Pt),
    ("bonjour", Language::Fr),
    ("salut", Language::Fr),
    ("bonsoir", Language::Fr),
    ("coucou", Language::Fr),
    ("hallo", Language::De),
    ("guten tag", Language::De),
    ("guten morgen", Language::De),
    ("guten abend", Language::De),
    ("moin", Language::De),
    ("servus", Language::De),
    ("grüß gott", Language::De),
    ("gruss gott", Language::De),
];

/// The text lowered, trimmed of punctuation and emoji at both ends, spaces collapsed.
pub fn normalise(text: &str) -> String {
    let lowered = text.to_lowercase();
    let trimmed = lowered.trim_matches(|c: char| !c.is_alphanumeric() && c != '?');
    let trimmed = if trimmed.chars().all(|c| c == '?') {
        trimmed
    } else {
        trimmed.trim_end_matches('?')
    };
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The command the whole message is, if any.
pub fn command(text: &str) -> Option<Command> {
    let normalised = normalise(text);
    if let Some((_, command)) = COMMANDS.iter().find(|(word, _)| *word == normalised) {
        return Some(*command);
    }
    let (prefix, rest) = normalised.split_once(' ')?;
    if LANGUAGE_PREFIXES.contains(&prefix) {
        return match command(rest) {
            Some(Command::Language(language)) => Some(Command::Language(language)),
            _ => language_by_code(rest).map(Command::Language),
        };
    }
    None
}

fn language_by_code(code: &str) -> Option<Language> {
    Language::ALL
        .into_iter()
        .find(|language| language.code() == code)
}

/// The language of a greeting, when the whole message is one ("hola", "Hi!").
pub fn greeting(text: &str) -> Option<Language> {
    let normalised = normalise(text);
    GREETINGS
        .iter()
        .find(|(word, _)| *word == normalised)
        .map(|(_, language)| *language)
}

/// Everyday words that belong to one of the bot's languages and to none of the others
/// (words two of them share, such as Spanish and Portuguese "semanas" or "durante", are
/// left out; "dias" counts for Portuguese, since Spanish writes "días").
/// Statistical detection needs more text than a chat message usually has (it reads
/// "Necesito un eSIM para viajar a Japón" as Portuguese), while two of these words settle it.
const MARKERS: &[(Language, &[&str])] = &[
    (
        Language::En,
        &[
            "i",
            "need",
            "want",
            "the",
            "and",
            "for",
            "my",
            "trip",
            "days",
            "week",
            "weeks",
            "going",
            "travel",
            "travelling",
            "traveling",
            "please",
            "thanks",
            "how",
            "much",
            "with",
            "next",
            "month",
            "holiday",
            "vacation",
            "hi",
            "hello",
            "hey",
        ],
    ),
    (
        Language::Es,
        &[
            "necesito",
            "quiero",
            "una",
            "los",
            "las",
            "el",
            "del",
            "mi",
            "viaje",
            "días",
            "voy",
            "estoy",
            "gracias",
            "cuánto",
            "cuanto",
            "cuesta",
            "vacaciones",
            "móvil",
            "movil",
            "quedo",
            "y",
            "tarjeta",
            "dos",
            "tres",
            "diez",
            "semanas",
            "mes",
            "hola",
            "buenos",
            "buenas",
        ],
    ),
    (
        Language::Pt,
        &[
            "preciso", "quero", "uma", "meu", "minha", "viagem", "mês", "vou", "estou", "obrigado",
            "obrigada", "quanto", "custa", "férias", "ferias", "celular", "não", "você", "dois",
            "três", "dez", "na", "em", "dias", "um", "olá", "oi", "bom", "dia", "pro", "pra",
        ],
    ),
    (
        Language::Fr,
        &[
            "je",
            "voudrais",
            "besoin",
            "une",
            "les",
            "des",
            "mon",
            "ma",
            "voyage",
            "jours",
            "semaine",
            "semaines",
            "mois",
            "vais",
            "merci",
            "combien",
            "vacances",
            "prochaine",
            "pour",
            "avec",
            "et",
            "pendant",
            "suis",
            "pars",
            "partir",
            "bonjour",
            "salut",
            "au",
            "aux",
            "vers",
        ],
    ),
    (
        Language::De,
        &[
            "ich", "brauche", "möchte", "moechte", "eine", "einen", "mein", "meine", "meinen",
            "reise", "tage", "woche", "wochen", "monat", "danke", "wie", "viel", "kostet",
            "urlaub", "nächste", "naechste", "für", "fuer", "und", "nach", "mit", "bin", "hallo",
            "fahre", "fliege",
        ],
    ),
];

/// The language a message is written in, when it says so clearly: a greeting, marker
/// words of one language clearly outnumbering the others', or enough words for a reliable
/// statistical guess among the languages the bot speaks. Place names alone ("Japan 10
/// days") say little, so short messages keep the current language.
pub fn detect_language(text: &str) -> Option<Language> {
    if let Some(language) = greeting(text) {
        return Some(language);
    }
    let lowered = text.to_lowercase();
    let words: Vec<&str> = lowered
        .split(|c: char| !c.is_alphabetic())
        .filter(|word| !word.is_empty())
        .collect();
    let mut scores: Vec<(Language, usize)> = MARKERS
        .iter()
        .map(|(language, markers)| {
            let hits = words.iter().filter(|word| markers.contains(word)).count();
            (*language, hits)
        })
        .collect();
    scores.sort_by_key(|(_, hits)| std::cmp::Reverse(*hits));
    if scores[0].1 >= 2 && scores[0].1 > scores[1].1 {
        return Some(scores[0].0);
    }
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 16 {
        return None;
    }
    let info = DETECTOR.detect(text)?;
    if !info.is_reliable() {
        return None;
    }
    Some(match info.lang() {
        Lang::Spa => Language::Es,
        Lang::Por => Language::Pt,
        Lang::Fra => Language::Fr,
        Lang::Deu => Language::De,
        _ => Language::En,
    })
}

static DETECTOR: std::sync::LazyLock<Detector> = std::sync::LazyLock::new(|| {
    Detector::with_allowlist(vec![Lang::Eng, Lang::Spa, Lang::Por, Lang::Fra, Lang::Deu])
});

/// A first guess at a customer's language from their phone number's country calling code,
/// used only until they write something that tells. Only codes whose countries speak one of
/// the bot's languages are listed; everyone else starts in English.
pub fn language_from_phone(wa_id: &str) -> Option<Language> {
    const CODES: &[(&str, Language)] = &[
        ("351", Language::Pt),
        ("34", Language::Es),
        ("52", Language::Es),
        ("54", Language::Es),
        ("56", Language::Es),
        ("57", Language::Es),
        ("51", Language::Es),
        ("58", Language::Es),
        ("593", Language::Es),
        ("598", Language::Es),
        ("595", Language::Es),
        ("591", Language::Es),
        ("55", Language::Pt),
        ("33", Language::Fr),
        ("49", Language::De),
        ("43", Language::De),
    ];
    CODES
        .iter()
        .find(|(code, _)| wa_id.starts_with(code))
        .map(|(_, language)| *language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_whole_messages_in_any_language() {
        assert_eq!(command("Help"), Some(Command::Help));
        assert_eq!(command("  AYUDA!! "), Some(Command::Help));
        assert_eq!(command("?"), Some(Command::Help));
        assert_eq!(command("my eSIMs"), Some(Command::MyEsims));
        assert_eq!(command("Meine eSIMs"), Some(Command::MyEsims));
        assert_eq!(command("top up"), Some(Command::TopUp));
        assert_eq!(command("Agent please"), None);
        assert_eq!(command("help me find an eSIM for Japan"), None);
        assert_eq!(command("Français"), Some(Command::Language(Language::Fr)));
        assert_eq!(
            command("idioma español"),
            Some(Command::Language(Language::Es))
        );
        assert_eq!(
            command("language de"),
            Some(Command::Language(Language::De))
        );
        assert_eq!(command("language klingon"), None);
    }

    #[test]
    fn greetings_set_the_language_and_destinations_are_not_greetings() {
        assert_eq!(greeting("Hi!"), Some(Language::En));
        assert_eq!(greeting("¡Hola!"), Some(Language::Es));
        assert_eq!(greeting("Olá"), Some(Language::Pt));
        assert_eq!(greeting("Bonjour 👋"), Some(Language::Fr));
        assert_eq!(greeting("Guten Tag"), Some(Language::De));
        assert_eq!(greeting("hi, Japan for 10 days"), None);
    }

    #[test]
    fn longer_messages_reveal_their_language_and_short_ones_do_not() {
        assert_eq!(
            detect_language("Necesito un eSIM para viajar a Japón durante dos semanas"),
            Some(Language::Es)
        );
        assert_eq!(
            detect_language("Je voudrais une eSIM pour mon voyage en Italie la semaine prochaine"),
            Some(Language::Fr)
        );
        assert_eq!(
            detect_language("Ich brauche eine eSIM für meinen Urlaub in Spanien nächste Woche"),
            Some(Language::De)
        );
        assert_eq!(
            detect_language(
                "Preciso de um eSIM para viajar para Portugal e Espanha no mês que vem"
            ),
            Some(Language::Pt)
        );
        assert_eq!(detect_language("Japan 10 days"), None);
        for portuguese in [
            "Olá, vou para Portugal 5 dias",
            "Oi, vou para o Brasil por 5 dias",
            "Bom dia! Brasil 5 dias",
            "Quero um eSIM para o Brasil",
        ] {
            assert_eq!(
                detect_language(portuguese),
                Some(Language::Pt),
                "{portuguese}"
            );
        }
        assert_eq!(detect_language("je pars en Espagne"), Some(Language::Fr));
    }

    #[test]
    fn a_phone_number_gives_a_first_guess_only_for_clear_countries() {
        assert_eq!(language_from_phone("34600000000"), Some(Language::Es));
        assert_eq!(language_from_phone("351910000000"), Some(Language::Pt));
        assert_eq!(language_from_phone("5511900000000"), Some(Language::Pt));
        assert_eq!(language_from_phone("15550001234"), None);
    }
}
