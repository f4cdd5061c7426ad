//! Outgoing WhatsApp messages, built within Meta's limits before anything is sent.
//!
//! Meta refuses a whole message when one field is too long, and a refusal reaches the
//! traveller as silence. So every builder here checks the limits first, in two ways:
//!
//! - **Display text is shortened.** A body, header, footer, caption, button label or title
//!   that is too long is cut on a character boundary and ends with `…`, so it fits exactly
//!   (see [`truncate`]). A shortened title reads worse but still means what it meant.
//! - **Structure is refused.** Anything whose repair would change what the message means or
//!   what a reply refers to is a [`BuildError`]: more than 10 list rows or 3 buttons, no rows
//!   or buttons, an empty body, ids that are empty, too long or repeated (ids come back in
//!   the traveller's reply, so they are never shortened), and titles that only become equal
//!   once shortened.
//!
//! Lengths are counted in Unicode scalar values (`char`s), as Meta documents them.
//!
//! The built values ([`Outbound`] and the types it holds) keep their fields private, so a
//! message that exists has passed the checks; [`super::graph`] turns it into Meta's JSON.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// The ellipsis that ends a shortened text; one character.
pub const ELLIPSIS: char = '…';

/// Longest body of a text message.
pub const TEXT_BODY_MAX_CHARS: usize = 4096;
/// Longest body of an interactive (list or buttons) message.
pub const INTERACTIVE_BODY_MAX_CHARS: usize = 1024;
/// Longest text header of an interactive message.
pub const HEADER_MAX_CHARS: usize = 60;
/// Longest footer of an interactive message.
pub const FOOTER_MAX_CHARS: usize = 60;
/// Longest label of the button that opens a list.
pub const LIST_BUTTON_MAX_CHARS: usize = 20;
/// Rows in a list, counted over all its sections.
pub const LIST_MAX_ROWS: usize = 10;
/// Longest section title.
pub const SECTION_TITLE_MAX_CHARS: usize = 24;
/// Longest row title.
pub const ROW_TITLE_MAX_CHARS: usize = 24;
/// Longest row description.
pub const ROW_DESCRIPTION_MAX_CHARS: usize = 72;
/// Longest row id.
pub const ROW_ID_MAX_CHARS: usize = 200;
/// Reply buttons in one message.
pub const MAX_BUTTONS: usize = 3;
/// Longest reply button title.
pub const BUTTON_TITLE_MAX_CHARS: usize = 20;
/// Longest reply button id.
pub const BUTTON_ID_MAX_CHARS: usize = 256;
/// Longest image caption.
pub const CAPTION_MAX_CHARS: usize = 1024;
/// Buttons a template can have; a button parameter's index is below this.
pub const TEMPLATE_MAX_BUTTONS: usize = 10;

/// `text` as is when it has at most `max_chars` characters, else its first `max_chars - 1`
/// characters followed by `…`, so the result has exactly `max_chars` characters.
///
/// Characters are Unicode scalar values: an accented letter typed as one code point counts
/// one, an emoji made of several code points (a flag, a family) counts several and may be
/// cut between them.
// TODO: cut on grapheme boundaries; Meta does not say whether it counts code points or
// UTF-16 units, and a flag emoji cut in half shows as two letters.
pub fn truncate(text: &str, max_chars: usize) -> Cow<'_, str> {
    // The byte offset of character number `max_chars`, if there is one: past it the text is
    // too long.
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return Cow::Borrowed(text);
    };
    let Some(keep) = max_chars.checked_sub(1) else {
        return Cow::Borrowed("");
    };
    let end = text.char_indices().nth(keep).map_or(cut, |(end, _)| end);
    let mut shortened = String::with_capacity(end + ELLIPSIS.len_utf8());
    shortened.push_str(&text[..end]);
    shortened.push(ELLIPSIS);
    Cow::Owned(shortened)
}

/// Why a message cannot be built. Each is a bug in the caller or data that needs another
/// shape of message, never something to retry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A required text (body, button label, title, id, media id, template name) is empty or
    /// only whitespace.
    #[error("the {field} is empty")]
    Empty { field: &'static str },
    #[error("a list has {count} rows, more than {LIST_MAX_ROWS}")]
    TooManyRows { count: usize },
    #[error("a list has no rows")]
    NoRows,
    #[error("section {index} of a list has no rows")]
    EmptySection { index: usize },
    /// Meta requires a title on every section once there are two or more.
    #[error("section {index} has no title, which a list of several sections requires")]
    MissingSectionTitle { index: usize },
    #[error("a message has {count} buttons, more than {MAX_BUTTONS}")]
    TooManyButtons { count: usize },
    #[error("a message has no buttons")]
    NoButtons,
    /// Ids come back in the reply, so they are refused rather than shortened.
    #[error("the {field} has {chars} characters, more than {max}")]
    IdTooLong {
        field: &'static str,
        chars: usize,
        max: usize,
    },
    #[error("the {field} {id:?} is used twice")]
    DuplicateId { field: &'static str, id: String },
    /// Two titles the traveller could not tell apart: equal, or equal once shortened.
    #[error("two {field}s read {title:?}")]
    DuplicateTitle { field: &'static str, title: String },
    #[error("template button index {index} is used twice or is not below {TEMPLATE_MAX_BUTTONS}")]
    BadButtonIndex { index: usize },
}

/// A message Bino sends, checked against Meta's limits. Build one with [`Outbound::text`],
/// [`Outbound::image`], [`ListMessage`], [`ButtonsMessage`] or [`TemplateMessage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outbound {
    Text(Text),
    List(InteractiveList),
    Buttons(ReplyButtons),
    Image(Image),
    Template(Template),
}

impl Outbound {
    /// A text message; a body over 4096 characters is shortened, an empty one refused.
    pub fn text(body: impl AsRef<str>) -> Result<Outbound, BuildError> {
        Ok(Outbound::Text(Text {
            body: required(body.as_ref(), "text body", TEXT_BODY_MAX_CHARS)?,
            preview_url: false,
        }))
    }

    /// A text message whose first link WhatsApp shows as a preview.
    pub fn text_with_preview(body: impl AsRef<str>) -> Result<Outbound, BuildError> {
        let mut message = Outbound::text(body)?;
        if let Outbound::Text(text) = &mut message {
            text.preview_url = true;
        }
        Ok(message)
    }

    /// An image already uploaded to Meta (see `GraphClient::upload_png`), with an optional
    /// caption shortened to 1024 characters; an empty caption is left out.
    pub fn image(media_id: impl AsRef<str>, caption: Option<&str>) -> Result<Outbound, BuildError> {
        let media_id = media_id.as_ref().trim();
        if media_id.is_empty() {
            return Err(BuildError::Empty { field: "media id" });
        }
        Ok(Outbound::Image(Image {
            media_id: media_id.to_owned(),
            caption: caption.and_then(|caption| optional(caption, CAPTION_MAX_CHARS)),
        }))
    }

    /// The message type, for logs and metrics: `text`, `list`, `buttons`, `image`, `template`.
    pub fn kind(&self) -> &'static str {
        match self {
            Outbound::Text(_) => "text",
            Outbound::List(_) => "list",
            Outbound::Buttons(_) => "buttons",
            Outbound::Image(_) => "image",
            Outbound::Template(_) => "template",
        }
    }
}

/// A plain text message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    body: String,
    preview_url: bool,
}

impl Text {
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Whether WhatsApp renders a preview of the first link in the body.
    pub fn preview_url(&self) -> bool {
        self.preview_url
    }
}

/// An image sent by media id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    media_id: String,
    caption: Option<String>,
}

impl Image {
    pub fn media_id(&self) -> &str {
        &self.media_id
    }

    pub fn caption(&self) -> Option<&str> {
        self.caption.as_deref()
    }
}

/// One choice of a list. The same type is the builder's input and the built value; once
/// built, its title and description have been shortened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    id: String,
    title: String,
    description: Option<String>,
}

impl Row {
    /// `id` comes back in the traveller's reply; `title` is what they see.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Row {
        Row {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }

    /// A second line under the title, shortened to 72 characters; empty means none.
    pub fn description(mut self, description: impl Into<String>) -> Row {
        self.description = Some(description.into());
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn description_text(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

/// A titled group of rows in a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    title: Option<String>,
    rows: Vec<Row>,
}

impl Section {
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }
}

/// A built interactive list: a button that opens up to 10 rows in sections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractiveList {
    header: Option<String>,
    body: String,
    footer: Option<String>,
    button: String,
    sections: Vec<Section>,
}

impl InteractiveList {
    pub fn header(&self) -> Option<&str> {
        self.header.as_deref()
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    pub fn footer(&self) -> Option<&str> {
        self.footer.as_deref()
    }

    /// The label of the button that opens the list.
    pub fn button(&self) -> &str {
        &self.button
    }

    pub fn sections(&self) -> &[Section] {
        &self.sections
    }
}

/// Builds an [`InteractiveList`]:
///
/// ```
/// use bino::whatsapp::message::{ListMessage, Row};
///
/// let list = ListMessage::new("Which plan suits your trip?", "See plans")
///     .footer("Prices include taxes")
///     .section("Japan", [
///         Row::new("plan:JC016", "1 GB, 7 days").description("USD 4.00"),
///         Row::new("plan:JC017", "3 GB, 15 days").description("USD 9.00"),
///     ])
///     .build()
///     .expect("within Meta's limits");
/// assert_eq!(list.kind(), "list");
/// ```
#[derive(Clone, Debug)]
pub struct ListMessage {
    header: Option<String>,
    body: String,
    footer: Option<String>,
    button: String,
    sections: Vec<(String, Vec<Row>)>,
}

impl ListMessage {
    /// `button` labels the button that opens the list (at most 20 characters).
    pub fn new(body: impl Into<String>, button: impl Into<String>) -> ListMessage {
        ListMessage {
            header: None,
            body: body.into(),
            footer: None,
            button: button.into(),
            sections: Vec::new(),
        }
    }

    /// A text header above the body (at most 60 characters); empty means none.
    pub fn header(mut self, header: impl Into<String>) -> ListMessage {
        self.header = Some(header.into());
        self
    }

    /// A grey line under the body (at most 60 characters); empty means none.
    pub fn footer(mut self, footer: impl Into<String>) -> ListMessage {
        self.footer = Some(footer.into());
        self
    }

    /// Adds a section. An empty `title` means none, which Meta accepts only when the list
    /// has a single section.
    pub fn section(
        mut self,
        title: impl Into<String>,
        rows: impl IntoIterator<Item = Row>,
    ) -> ListMessage {
        self.sections
            .push((title.into(), rows.into_iter().collect()));
        self
    }

    /// Checks the structure and shortens the texts.
    pub fn build(self) -> Result<Outbound, BuildError> {
        let body = required(&self.body, "list body", INTERACTIVE_BODY_MAX_CHARS)?;
        let button = required(&self.button, "list button label", LIST_BUTTON_MAX_CHARS)?;

        let count = self.sections.iter().map(|(_, rows)| rows.len()).sum();
        if count == 0 {
            return Err(BuildError::NoRows);
        }
        if count > LIST_MAX_ROWS {
            return Err(BuildError::TooManyRows { count });
        }

        let several = self.sections.len() > 1;
        let mut ids = HashSet::new();
        let mut titles = HashMap::new();
        let mut sections = Vec::with_capacity(self.sections.len());
        for (index, (title, rows)) in self.sections.into_iter().enumerate() {
            if rows.is_empty() {
                return Err(BuildError::EmptySection { index });
            }
            let title = optional(&title, SECTION_TITLE_MAX_CHARS);
            if several && title.is_none() {
                return Err(BuildError::MissingSectionTitle { index });
            }
            let rows = rows
                .into_iter()
                .map(|row| build_row(row, &mut ids, &mut titles))
                .collect::<Result<_, _>>()?;
            sections.push(Section { title, rows });
        }

        Ok(Outbound::List(InteractiveList {
            header: self
                .header
                .and_then(|header| optional(&header, HEADER_MAX_CHARS)),
            body,
            footer: self
                .footer
                .and_then(|footer| optional(&footer, FOOTER_MAX_CHARS)),
            button,
            sections,
        }))
    }
}

/// Checks a row's id and shortens its texts.
fn build_row(
    row: Row,
    ids: &mut HashSet<String>,
    titles: &mut HashMap<String, String>,
) -> Result<Row, BuildError> {
    let id = check_id(row.id, "row id", ROW_ID_MAX_CHARS, ids)?;
    let title = required(&row.title, "row title", ROW_TITLE_MAX_CHARS)?;
    // Two rows may share a title on purpose (their descriptions differ); only a clash made by
    // shortening two different titles loses information.
    let original = row.title.trim();
    if let Some(earlier) = titles.insert(title.clone(), original.to_owned())
        && earlier != original
    {
        return Err(BuildError::DuplicateTitle {
            field: "row title",
            title,
        });
    }
    Ok(Row {
        id,
        title,
        description: row
            .description
            .and_then(|description| optional(&description, ROW_DESCRIPTION_MAX_CHARS)),
    })
}

/// One reply button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyButton {
    id: String,
    title: String,
}

impl ReplyButton {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn title(&self) -> &str {
        &self.title
    }
}

/// A built message with up to three reply buttons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyButtons {
    header: Option<String>,
    body: String,
    footer: Option<String>,
    buttons: Vec<ReplyButton>,
}

impl ReplyButtons {
    pub fn header(&self) -> Option<&str> {
        self.header.as_deref()
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    pub fn footer(&self) -> Option<&str> {
        self.footer.as_deref()
    }

    pub fn buttons(&self) -> &[ReplyButton] {
        &self.buttons
    }
}

/// Builds [`ReplyButtons`]:
///
/// ```
/// use bino::whatsapp::message::ButtonsMessage;
///
/// let question = ButtonsMessage::new("Pay USD 4.00 for Japan 1 GB, 7 days?")
///     .button("pay:JC016", "Pay now")
///     .button("plans", "Other plans")
///     .build()
///     .expect("within Meta's limits");
/// assert_eq!(question.kind(), "buttons");
/// ```
#[derive(Clone, Debug)]
pub struct ButtonsMessage {
    header: Option<String>,
    body: String,
    footer: Option<String>,
    buttons: Vec<(String, String)>,
}

impl ButtonsMessage {
    pub fn new(body: impl Into<String>) -> ButtonsMessage {
        ButtonsMessage {
            header: None,
            body: body.into(),
            footer: None,
            buttons: Vec::new(),
        }
    }

    /// A text header above the body (at most 60 characters); empty means none.
    pub fn header(mut self, header: impl Into<String>) -> ButtonsMessage {
        self.header = Some(header.into());
        self
    }

    /// A grey line under the body (at most 60 characters); empty means none.
    pub fn footer(mut self, footer: impl Into<String>) -> ButtonsMessage {
        self.footer = Some(footer.into());
        self
    }

    /// Adds a button: `id` comes back in the reply (at most 256 characters), `title` is its
    /// label (shortened to 20 characters).
    pub fn button(mut self, id: impl Into<String>, title: impl Into<String>) -> ButtonsMessage {
        self.buttons.push((id.into(), title.into()));
        self
    }

    /// Checks the structure and shortens the texts.
    pub fn build(self) -> Result<Outbound, BuildError> {
        let body = required(&self.body, "buttons body", INTERACTIVE_BODY_MAX_CHARS)?;
        if self.buttons.is_empty() {
            return Err(BuildError::NoButtons);
        }
        if self.buttons.len() > MAX_BUTTONS {
            return Err(BuildError::TooManyButtons {
                count: self.buttons.len(),
            });
        }

        let mut ids = HashSet::new();
        let mut titles = HashSet::new();
        let mut buttons = Vec::with_capacity(self.buttons.len());
        for (id, title) in self.buttons {
            let id = check_id(id, "button id", BUTTON_ID_MAX_CHARS, &mut ids)?;
            let title = required(&title, "button title", BUTTON_TITLE_MAX_CHARS)?;
            // Meta requires distinct button titles, and so does a traveller.
            if !titles.insert(title.clone()) {
                return Err(BuildError::DuplicateTitle {
                    field: "button title",
                    title,
                });
            }
            buttons.push(ReplyButton { id, title });
        }

        Ok(Outbound::Buttons(ReplyButtons {
            header: self
                .header
                .and_then(|header| optional(&header, HEADER_MAX_CHARS)),
            body,
            footer: self
                .footer
                .and_then(|footer| optional(&footer, FOOTER_MAX_CHARS)),
            buttons,
        }))
    }
}

/// A parameter of one of a template's buttons, at the button's position in the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateButton {
    /// The payload a quick-reply button sends back when tapped.
    QuickReply { index: usize, payload: String },
    /// The variable end of a URL button's link.
    Url { index: usize, suffix: String },
}

impl TemplateButton {
    pub fn index(&self) -> usize {
        match self {
            TemplateButton::QuickReply { index, .. } | TemplateButton::Url { index, .. } => *index,
        }
    }
}

/// A built template message: an approved template with its body's text parameters, in
/// order, and its buttons' parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    name: String,
    language: String,
    body_parameters: Vec<String>,
    buttons: Vec<TemplateButton>,
}

impl Template {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The language code of the approved translation (`en_US`, `es`, ...).
    pub fn language(&self) -> &str {
        &self.language
    }

    pub fn body_parameters(&self) -> &[String] {
        &self.body_parameters
    }

    pub fn buttons(&self) -> &[TemplateButton] {
        &self.buttons
    }
}

/// Builds a [`Template`] message, the only kind Meta delivers outside the 24-hour window:
///
/// ```
/// use bino::whatsapp::message::TemplateMessage;
///
/// let reminder = TemplateMessage::new("esim_ready", "en_US")
///     .body_text("Japan 1 GB")
///     .quick_reply(0, "install-help")
///     .build()
///     .expect("a valid template");
/// assert_eq!(reminder.kind(), "template");
/// ```
#[derive(Clone, Debug)]
pub struct TemplateMessage {
    name: String,
    language: String,
    body_parameters: Vec<String>,
    buttons: Vec<TemplateButton>,
}

impl TemplateMessage {
    pub fn new(name: impl Into<String>, language: impl Into<String>) -> TemplateMessage {
        TemplateMessage {
            name: name.into(),
            language: language.into(),
            body_parameters: Vec::new(),
            buttons: Vec::new(),
        }
    }

    /// The next positional parameter (`{{1}}`, `{{2}}`, ...) of the template's body.
    pub fn body_text(mut self, text: impl Into<String>) -> TemplateMessage {
        self.body_parameters.push(text.into());
        self
    }

    /// The payload of the quick-reply button at `index` (0-based, in the template's order).
    pub fn quick_reply(mut self, index: usize, payload: impl Into<String>) -> TemplateMessage {
        self.buttons.push(TemplateButton::QuickReply {
            index,
            payload: payload.into(),
        });
        self
    }

    /// The variable suffix of the URL button at `index`.
    pub fn url_suffix(mut self, index: usize, suffix: impl Into<String>) -> TemplateMessage {
        self.buttons.push(TemplateButton::Url {
            index,
            suffix: suffix.into(),
        });
        self
    }

    /// Checks names and parameters. Body parameters lose their line breaks and tabs, and runs
    /// of more than four spaces shrink to one, because Meta refuses those in a parameter.
    pub fn build(self) -> Result<Outbound, BuildError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(BuildError::Empty {
                field: "template name",
            });
        }
        let language = self.language.trim();
        if language.is_empty() {
            return Err(BuildError::Empty {
                field: "template language",
            });
        }

        let body_parameters = self
            .body_parameters
            .iter()
            .map(|text| {
                let text = flatten_parameter(text);
                if text.is_empty() {
                    Err(BuildError::Empty {
                        field: "template parameter",
                    })
                } else {
                    Ok(text)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;

        let mut indexes = HashSet::new();
        for button in &self.buttons {
            let index = button.index();
            if index >= TEMPLATE_MAX_BUTTONS || !indexes.insert(index) {
                return Err(BuildError::BadButtonIndex { index });
            }
            let (value, field) = match button {
                TemplateButton::QuickReply { payload, .. } => (payload, "quick reply payload"),
                TemplateButton::Url { suffix, .. } => (suffix, "url button suffix"),
            };
            if value.trim().is_empty() {
                return Err(BuildError::Empty { field });
            }
        }

        Ok(Outbound::Template(Template {
            name: name.to_owned(),
            language: language.to_owned(),
            body_parameters,
            buttons: self.buttons,
        }))
    }
}

/// A template parameter as Meta accepts it: no line breaks or tabs, no more than four
/// spaces in a row, nothing around it.
fn flatten_parameter(text: &str) -> String {
    let mut flat = String::with_capacity(text.len());
    let mut pending = String::new();
    for character in text.trim().chars() {
        if character.is_whitespace() {
            pending.push(character);
            continue;
        }
        if !pending.is_empty() {
            let only_spaces = pending.chars().all(|c| c == ' ');
            if only_spaces && pending.len() <= 4 {
                flat.push_str(&pending);
            } else {
                flat.push(' ');
            }
            pending.clear();
        }
        flat.push(character);
    }
    flat
}

/// A required display text, shortened to `max_chars`; empty or blank is refused.
fn required(text: &str, field: &'static str, max_chars: usize) -> Result<String, BuildError> {
    optional(text, max_chars).ok_or(BuildError::Empty { field })
}

/// An optional display text, shortened to `max_chars`; empty or blank means none.
fn optional(text: &str, max_chars: usize) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| truncate(text, max_chars).into_owned())
}

/// Checks an id: present, within `max_chars`, not seen before in this message. Ids are not
/// trimmed: they are compared byte for byte with what comes back.
fn check_id(
    id: String,
    field: &'static str,
    max_chars: usize,
    seen: &mut HashSet<String>,
) -> Result<String, BuildError> {
    if id.trim().is_empty() {
        return Err(BuildError::Empty { field });
    }
    let chars = id.chars().count();
    if chars > max_chars {
        return Err(BuildError::IdTooLong {
            field,
            chars,
            max: max_chars,
        });
    }
    if !seen.insert(id.clone()) {
        return Err(BuildError::DuplicateId { field, id });
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> usize {
        text.chars().count()
    }

    /// A text of `n` characters built from `unit` repeated.
    fn of(unit: &str, n: usize) -> String {
        unit.repeat(n)
    }

    #[test]
    fn truncate_keeps_texts_within_the_limit_and_cuts_longer_ones_to_exactly_it() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 5, ""),
            ("hello", 5, "hello"),
            ("hello!", 5, "hell…"),
            ("hello", 1, "…"),
            ("café au lait", 4, "caf…"),
            ("café", 4, "café"),
            ("日本語のテキスト", 3, "日本…"),
            ("🇯🇵🇰🇷", 4, "🇯🇵🇰🇷"),
            ("😀😀😀", 2, "😀…"),
            ("ab", 0, ""),
        ];
        for (text, max, expected) in cases {
            let shortened = truncate(text, *max);
            assert_eq!(shortened, *expected, "{text:?} to {max}");
            assert!(chars(&shortened) <= *max, "{text:?} to {max}");
        }
    }

    #[test]
    fn truncate_borrows_when_nothing_is_cut() {
        assert!(matches!(truncate("short", 10), Cow::Borrowed("short")));
        assert!(matches!(truncate("ten chars!", 10), Cow::Borrowed(_)));
        assert!(matches!(truncate("eleven chars", 10), Cow::Owned(_)));
    }

    #[test]
    fn truncate_counts_characters_not_bytes() {
        // 4096 two-byte letters fit a text body, although they are 8192 bytes.
        let accented = of("é", TEXT_BODY_MAX_CHARS);
        assert_eq!(truncate(&accented, TEXT_BODY_MAX_CHARS), accented.as_str());

        let emoji = of("🎉", 21);
        let shortened = truncate(&emoji, 20);
        assert_eq!(chars(&shortened), 20);
        assert!(shortened.ends_with("🎉…"));
    }

    /// A list with `text` in every display field.
    fn list_of(text: &str) -> InteractiveList {
        let built = ListMessage::new(text, text)
            .header(text)
            .footer(text)
            .section(text, [Row::new("r1", text).description(text)])
            .build();
        match built {
            Ok(Outbound::List(list)) => list,
            other => panic!("a list, not {other:?}"),
        }
    }

    /// Reply buttons with `text` in every display field.
    fn buttons_of(text: &str) -> ReplyButtons {
        let built = ButtonsMessage::new(text)
            .header(text)
            .footer(text)
            .button("b1", text)
            .build();
        match built {
            Ok(Outbound::Buttons(buttons)) => buttons,
            other => panic!("buttons, not {other:?}"),
        }
    }

    /// What a message built with `text` shows in one field.
    type Shown = fn(&str) -> String;

    /// Each display limit: at the limit it is kept, one over it is cut to the limit with `…`,
    /// with ASCII, accented letters and emoji alike.
    #[test]
    fn every_display_text_is_kept_at_its_limit_and_cut_one_over_it() {
        let cases: [(&str, usize, Shown); 13] = [
            (
                "text body",
                TEXT_BODY_MAX_CHARS,
                |text| match Outbound::text(text) {
                    Ok(Outbound::Text(text)) => text.body().to_owned(),
                    other => panic!("{other:?}"),
                },
            ),
            (
                "image caption",
                CAPTION_MAX_CHARS,
                |text| match Outbound::image("1", Some(text)) {
                    Ok(Outbound::Image(image)) => image.caption().unwrap().to_owned(),
                    other => panic!("{other:?}"),
                },
            ),
            ("list body", INTERACTIVE_BODY_MAX_CHARS, |text| {
                list_of(text).body().to_owned()
            }),
            ("list header", HEADER_MAX_CHARS, |text| {
                list_of(text).header().unwrap().to_owned()
            }),
            ("list footer", FOOTER_MAX_CHARS, |text| {
                list_of(text).footer().unwrap().to_owned()
            }),
            ("list button", LIST_BUTTON_MAX_CHARS, |text| {
                list_of(text).button().to_owned()
            }),
            ("section title", SECTION_TITLE_MAX_CHARS, |text| {
                list_of(text).sections()[0].title().unwrap().to_owned()
            }),
            ("row title", ROW_TITLE_MAX_CHARS, |text| {
                list_of(text).sections()[0].rows()[0].title().to_owned()
            }),
            ("row description", ROW_DESCRIPTION_MAX_CHARS, |text| {
                let list = list_of(text);
                list.sections()[0].rows()[0]
                    .description_text()
                    .unwrap()
                    .to_owned()
            }),
            ("buttons body", INTERACTIVE_BODY_MAX_CHARS, |text| {
                buttons_of(text).body().to_owned()
            }),
            ("buttons header", HEADER_MAX_CHARS, |text| {
                buttons_of(text).header().unwrap().to_owned()
            }),
            ("buttons footer", FOOTER_MAX_CHARS, |text| {
                buttons_of(text).footer().unwrap().to_owned()
            }),
            ("button title", BUTTON_TITLE_MAX_CHARS, |text| {
                buttons_of(text).buttons()[0].title().to_owned()
            }),
        ];

        for (name, limit, shown) in cases {
            for unit in ["a", "é", "🎉"] {
                let at_limit = of(unit, limit);
                assert_eq!(
                    shown(&at_limit),
                    at_limit,
                    "{name} of {limit} {unit:?} is kept"
                );

                let cut = shown(&of(unit, limit + 1));
                assert_eq!(chars(&cut), limit, "{name} one over is cut to the limit");
                assert_eq!(cut, format!("{}…", of(unit, limit - 1)), "{name}");
            }
        }
    }

    #[test]
    fn empty_bodies_and_labels_are_refused() {
        assert_eq!(
            Outbound::text("  \n"),
            Err(BuildError::Empty { field: "text body" })
        );
        assert_eq!(
            Outbound::image(" ", None),
            Err(BuildError::Empty { field: "media id" })
        );
        let rows = || [Row::new("r1", "Row")];
        assert_eq!(
            ListMessage::new("", "Open").section("", rows()).build(),
            Err(BuildError::Empty { field: "list body" })
        );
        assert_eq!(
            ListMessage::new("Body", " ").section("", rows()).build(),
            Err(BuildError::Empty {
                field: "list button label"
            })
        );
        assert_eq!(
            ListMessage::new("Body", "Open")
                .section("", [Row::new("r1", " ")])
                .build(),
            Err(BuildError::Empty { field: "row title" })
        );
        assert_eq!(
            ButtonsMessage::new("").button("b", "B").build(),
            Err(BuildError::Empty {
                field: "buttons body"
            })
        );
        assert_eq!(
            ButtonsMessage::new("Body").button("b", "").build(),
            Err(BuildError::Empty {
                field: "button title"
            })
        );
    }

    #[test]
    fn blank_optional_texts_are_left_out() {
        let Ok(Outbound::List(list)) = ListMessage::new("Body", "Open")
            .header(" ")
            .footer("")
            .section("", [Row::new("r1", "Row").description("  ")])
            .build()
        else {
            panic!("a list");
        };
        assert_eq!(list.header(), None);
        assert_eq!(list.footer(), None);
        assert_eq!(list.sections()[0].title(), None);
        assert_eq!(list.sections()[0].rows()[0].description_text(), None);

        let Ok(Outbound::Image(image)) = Outbound::image("123", Some("")) else {
            panic!("an image");
        };
        assert_eq!(image.caption(), None);
    }

    #[test]
    fn a_list_holds_at_most_ten_rows_over_all_sections() {
        let rows = |from: usize, count: usize| {
            (from..from + count).map(|n| Row::new(format!("r{n}"), format!("Row {n}")))
        };
        let ten = ListMessage::new("Body", "Open")
            .section("First", rows(0, 6))
            .section("Second", rows(6, 4))
            .build();
        assert!(ten.is_ok(), "{ten:?}");

        let eleven = ListMessage::new("Body", "Open")
            .section("First", rows(0, 6))
            .section("Second", rows(6, 5))
            .build();
        assert_eq!(eleven, Err(BuildError::TooManyRows { count: 11 }));
    }

    #[test]
    fn a_list_needs_rows_in_every_section() {
        assert_eq!(
            ListMessage::new("Body", "Open").build(),
            Err(BuildError::NoRows)
        );
        assert_eq!(
            ListMessage::new("Body", "Open")
                .section("Empty", [])
                .build(),
            Err(BuildError::NoRows)
        );
        assert_eq!(
            ListMessage::new("Body", "Open")
                .section("Full", [Row::new("r1", "Row")])
                .section("Empty", [])
                .build(),
            Err(BuildError::EmptySection { index: 1 })
        );
    }

    #[test]
    fn several_sections_each_need_a_title_but_one_section_does_not() {
        let one = ListMessage::new("Body", "Open")
            .section("", [Row::new("r1", "Row")])
            .build();
        assert!(one.is_ok());

        let several = ListMessage::new("Body", "Open")
            .section("Asia", [Row::new("r1", "Japan")])
            .section(" ", [Row::new("r2", "Chile")])
            .build();
        assert_eq!(several, Err(BuildError::MissingSectionTitle { index: 1 }));
    }

    #[test]
    fn row_ids_are_checked_never_shortened() {
        let at_limit = of("é", ROW_ID_MAX_CHARS);
        let Ok(Outbound::List(list)) = ListMessage::new("Body", "Open")
            .section("", [Row::new(at_limit.clone(), "Row")])
            .build()
        else {
            panic!("a list");
        };
        assert_eq!(list.sections()[0].rows()[0].id(), at_limit);

        let over = of("é", ROW_ID_MAX_CHARS + 1);
        assert_eq!(
            ListMessage::new("Body", "Open")
                .section("", [Row::new(over, "Row")])
                .build(),
            Err(BuildError::IdTooLong {
                field: "row id",
                chars: 201,
                max: 200
            })
        );
        assert_eq!(
            ListMessage::new("Body", "Open")
                .section("", [Row::new("", "Row")])
                .build(),
            Err(BuildError::Empty { field: "row id" })
        );
    }

    #[test]
    fn row_ids_are_unique_across_sections() {
        let built = ListMessage::new("Body", "Open")
            .section("Asia", [Row::new("plan:1", "Japan")])
            .section("Europe", [Row::new("plan:1", "Spain")])
            .build();
        assert_eq!(
            built,
            Err(BuildError::DuplicateId {
                field: "row id",
                id: "plan:1".to_owned()
            })
        );
    }

    #[test]
    fn rows_whose_titles_only_clash_once_shortened_are_refused() {
        let long = "Japan and South Korea, 5 GB";
        let other = "Japan and South Korea, 10 GB";
        assert_eq!(truncate(long, 24), truncate(other, 24));
        let built = ListMessage::new("Body", "Open")
            .section("", [Row::new("a", long), Row::new("b", other)])
            .build();
        assert!(matches!(
            built,
            Err(BuildError::DuplicateTitle {
                field: "row title",
                ..
            })
        ));

        // The same title twice is the caller's choice: the descriptions tell them apart.
        let same = ListMessage::new("Body", "Open")
            .section(
                "",
                [
                    Row::new("a", "Japan 1 GB").description("7 days"),
                    Row::new("b", "Japan 1 GB").description("15 days"),
                ],
            )
            .build();
        assert!(same.is_ok(), "{same:?}");
    }

    #[test]
    fn at_most_three_buttons_and_at_least_one() {
        let three = ButtonsMessage::new("Body")
            .button("a", "A")
            .button("b", "B")
            .button("c", "C")
            .build();
        assert!(three.is_ok());

        let four = ButtonsMessage::new("Body")
            .button("a", "A")
            .button("b", "B")
            .button("c", "C")
            .button("d", "D")
            .build();
        assert_eq!(four, Err(BuildError::TooManyButtons { count: 4 }));
        assert_eq!(
            ButtonsMessage::new("Body").build(),
            Err(BuildError::NoButtons)
        );
    }

    #[test]
    fn button_ids_are_unique_and_within_their_limit() {
        let at_limit = of("🎉", BUTTON_ID_MAX_CHARS);
        assert!(
            ButtonsMessage::new("Body")
                .button(at_limit, "Yes")
                .build()
                .is_ok()
        );
        assert_eq!(
            ButtonsMessage::new("Body")
                .button(of("🎉", BUTTON_ID_MAX_CHARS + 1), "Yes")
                .build(),
            Err(BuildError::IdTooLong {
                field: "button id",
                chars: 257,
                max: 256
            })
        );
        assert_eq!(
            ButtonsMessage::new("Body")
                .button("same", "Yes")
                .button("same", "No")
                .build(),
            Err(BuildError::DuplicateId {
                field: "button id",
                id: "same".to_owned()
            })
        );
    }

    #[test]
    fn button_titles_are_unique_after_shortening() {
        assert_eq!(
            ButtonsMessage::new("Body")
                .button("a", "Yes")
                .button("b", "Yes")
                .build(),
            Err(BuildError::DuplicateTitle {
                field: "button title",
                title: "Yes".to_owned()
            })
        );
        // Both read "Buy the Japan plan …" once cut to 20 characters.
        let built = ButtonsMessage::new("Body")
            .button("now", "Buy the Japan plan now")
            .button("later", "Buy the Japan plan later")
            .build();
        assert_eq!(
            built,
            Err(BuildError::DuplicateTitle {
                field: "button title",
                title: "Buy the Japan plan …".to_owned()
            })
        );
    }

    #[test]
    fn text_messages_preview_links_only_when_asked() {
        let Ok(Outbound::Text(plain)) = Outbound::text("see https://example.test") else {
            panic!("a text");
        };
        assert!(!plain.preview_url());
        let Ok(Outbound::Text(preview)) = Outbound::text_with_preview("https://example.test")
        else {
            panic!("a text");
        };
        assert!(preview.preview_url());
    }

    #[test]
    fn template_parameters_lose_line_breaks_tabs_and_long_space_runs() {
        let cases = [
            ("Japan", "Japan"),
            ("  Japan  ", "Japan"),
            ("line\nbreak", "line break"),
            ("tab\there", "tab here"),
            ("four    spaces", "four    spaces"),
            ("five     spaces", "five spaces"),
            ("mixed \n\t end", "mixed end"),
            ("día 1", "día 1"),
        ];
        for (input, expected) in cases {
            assert_eq!(flatten_parameter(input), expected, "{input:?}");
        }
    }

    #[test]
    fn templates_are_checked() {
        let Ok(Outbound::Template(template)) = TemplateMessage::new("esim_ready", "en_US")
            .body_text("Japan\n1 GB")
            .quick_reply(0, "help")
            .url_suffix(1, "order/abc")
            .build()
        else {
            panic!("a template");
        };
        assert_eq!(template.name(), "esim_ready");
        assert_eq!(template.language(), "en_US");
        assert_eq!(template.body_parameters(), ["Japan 1 GB"]);
        assert_eq!(template.buttons().len(), 2);

        let refused = [
            (
                TemplateMessage::new(" ", "en"),
                BuildError::Empty {
                    field: "template name",
                },
            ),
            (
                TemplateMessage::new("t", ""),
                BuildError::Empty {
                    field: "template language",
                },
            ),
            (
                TemplateMessage::new("t", "en").body_text("\n"),
                BuildError::Empty {
                    field: "template parameter",
                },
            ),
            (
                TemplateMessage::new("t", "en")
                    .quick_reply(0, "a")
                    .quick_reply(0, "b"),
                BuildError::BadButtonIndex { index: 0 },
            ),
            (
                TemplateMessage::new("t", "en").url_suffix(10, "a"),
                BuildError::BadButtonIndex { index: 10 },
            ),
            (
                TemplateMessage::new("t", "en").quick_reply(0, " "),
                BuildError::Empty {
                    field: "quick reply payload",
                },
            ),
        ];
        for (builder, error) in refused {
            assert_eq!(builder.build(), Err(error));
        }
    }

    #[test]
    fn kinds_name_the_message_types() {
        let text = Outbound::text("hi").unwrap();
        let image = Outbound::image("1", None).unwrap();
        assert_eq!(text.kind(), "text");
        assert_eq!(image.kind(), "image");
    }
}
