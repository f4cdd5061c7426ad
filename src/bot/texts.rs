//! The message catalogue: every text the bot sends, in each language it speaks.
//!
//! Texts live in Fluent files under `locales/` (one per language, compiled into the binary)
//! so translators edit prose, not code, and plurals follow each language's rules. A message
//! missing from a language falls back to English; a test keeps the files complete.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use unic_langid::LanguageIdentifier;

/// A language the bot speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Es,
    Pt,
    Fr,
    De,
}

impl Language {
    pub const ALL: [Language; 5] = [
        Language::En,
        Language::Es,
        Language::Pt,
        Language::Fr,
        Language::De,
    ];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Es => "es",
            Language::Pt => "pt",
            Language::Fr => "fr",
            Language::De => "de",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Language::En => include_str!("../../locales/en.ftl"),
            Language::Es => include_str!("../../locales/es.ftl"),
            Language::Pt => include_str!("../../locales/pt.ftl"),
            Language::Fr => include_str!("../../locales/fr.ftl"),
            Language::De => include_str!("../../locales/de.ftl"),
        }
    }
}

/// The compiled catalogue of every language.
pub struct Texts {
    bundles: Vec<(Language, FluentBundle<FluentResource>)>,
}

static TEXTS: LazyLock<Texts> = LazyLock::new(Texts::load);

impl Texts {
    /// The catalogue, parsed once per process.
    pub fn global() -> &'static Texts {
        &TEXTS
    }

    fn load() -> Texts {
        let bundles = Language::ALL
            .into_iter()
            .map(|language| {
                let resource = FluentResource::try_new(language.source().to_owned())
                    .unwrap_or_else(|(_, errors)| {
                        panic!("locales/{}.ftl does not parse: {errors:?}", language.code())
                    });
                let id: LanguageIdentifier = language.code().parse().expect("a valid language id");
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // Unicode isolation marks around values would show up in WhatsApp as stray
                // characters around prices and places.
                bundle.set_use_isolating(false);
                bundle.add_resource(resource).unwrap_or_else(|errors| {
                    panic!("locales/{}.ftl repeats ids: {errors:?}", language.code())
                });
                (language, bundle)
            })
            .collect();
        Texts { bundles }
    }

    fn bundle(&self, language: Language) -> &FluentBundle<FluentResource> {
        self.bundles
            .iter()
            .find(|(candidate, _)| *candidate == language)
            .map(|(_, bundle)| bundle)
            .expect("every language has a bundle")
    }

    /// The text `id` in `language` (English when that language lacks it) with `args`.
    pub fn get(&self, language: Language, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let mut fluent_args = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            let value = match value {
                Arg::Text(text) => FluentValue::from(*text),
                Arg::Number(number) => FluentValue::from(*number),
            };
            fluent_args.set(*name, value);
        }
        for bundle in [self.bundle(language), self.bundle(Language::En)] {
            let Some(pattern) = bundle.get_message(id).and_then(|message| message.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            if !errors.is_empty() {
                tracing::warn!(
                    message = id,
                    language = language.code(),
                    ?errors,
                    "message formatted with errors"
                );
            }
            return text.into_owned();
        }
        tracing::error!(message = id, "message missing from the catalogue");
        id.to_owned()
    }

    /// Every message id of a language, for completeness checks.
    pub fn ids(&self, language: Language) -> Vec<String> {
        let resource = FluentResource::try_new(language.source().to_owned())
            .unwrap_or_else(|(resource, _)| resource);
        resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }
}

/// A value for a placeable.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    Text(&'a str),
    Number(i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_english_message_and_no_other() {
        let texts = Texts::global();
        let english = texts.ids(Language::En);
        assert!(english.len() > 40, "{english:?}");
        for language in Language::ALL {
            let ids = texts.ids(language);
            for id in &english {
                assert!(ids.contains(id), "{}.ftl lacks {id}", language.code());
            }
            for id in &ids {
                assert!(
                    english.contains(id),
                    "{}.ftl has an extra {id}",
                    language.code()
                );
            }
        }
    }

    #[test]
    fn plurals_and_placeables_follow_each_language() {
        let texts = Texts::global();
        assert_eq!(
            texts.get(Language::En, "plan-days", &[("days", Arg::Number(1))]),
            "1 day"
        );
        assert_eq!(
            texts.get(Language::En, "plan-days", &[("days", Arg::Number(30))]),
            "30 days"
        );
        let spanish = texts.get(Language::Es, "plan-days", &[("days", Arg::Number(30))]);
        assert!(
            spanish.contains("30") && spanish.contains("días"),
            "{spanish}"
        );
        let body = texts.get(
            Language::En,
            "no-plans",
            &[("destination", Arg::Text("Atlantis"))],
        );
        assert!(
            body.contains("Atlantis") && !body.contains('\u{2068}'),
            "{body}"
        );
    }

    #[test]
    fn every_message_formats_without_errors_in_every_language() {
        let texts = Texts::global();
        let args = [
            ("destination", Arg::Text("Japan")),
            ("days", Arg::Number(10)),
            ("data", Arg::Text("10 GB")),
            ("validity", Arg::Text("30 days")),
            ("price", Arg::Text("12.50")),
            ("covered", Arg::Number(1)),
            ("wanted", Arg::Number(2)),
            ("name", Arg::Text("Japan 10GB 30 days")),
            ("countries", Arg::Text("Japan")),
            ("starts", Arg::Text("")),
            ("order", Arg::Text("ABC")),
            ("reason", Arg::Text("out of stock")),
            ("plan", Arg::Text("Japan 10GB")),
            ("ios", Arg::Text("https://example.com/i")),
            ("android", Arg::Text("https://example.com/a")),
            ("smdp", Arg::Text("smdp.example.com")),
            ("code", Arg::Text("CODE")),
            ("state", Arg::Text("ready")),
            ("left", Arg::Text("1 GB")),
            ("total", Arg::Text("10 GB")),
            ("expires", Arg::Text("none")),
            ("limit", Arg::Number(3)),
            ("count", Arg::Number(10)),
            ("url", Arg::Text("https://pay.example/cs_1")),
            ("amount", Arg::Text("500 MB")),
        ];
        for language in Language::ALL {
            for id in texts.ids(language) {
                let text = texts.get(language, &id, &args);
                assert!(!text.trim().is_empty(), "{}:{id} is empty", language.code());
                assert!(!text.contains('{'), "{}:{id}: {text}", language.code());
            }
        }
    }
}
