//! The conversation as a pure function: (conversation, input, context) → (conversation,
//! actions). No I/O happens here, so every path of the conversation is testable in
//! microseconds and a replayed input gives the same answer; the executor carries the
//! actions out and feeds their results back in as inputs.
//!
//! The happy path is four traveller messages: a greeting, a destination (→ a list of
//! plans), a plan (→ a summary with Buy), Buy (→ the order, or first a payment link, then
//! the eSIM). Around it: commands in every state, old taps answered without acting on
//! them, a new destination restarting the search, a fresh start after a long silence, and
//! care after the sale (connected, data low, expiring, top-ups, templates while the
//! 24-hour window is closed).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::texts::{Arg, Language, Texts};
use super::words::{self, Command};
use crate::payments::PaymentProblem;
use crate::whatsapp::Identity;

/// Input ids remembered to recognise a turn handled already.
pub const HANDLED_MEMORY: usize = 32;
/// Orders remembered per customer for "my eSIMs".
const ORDERS_MEMORY: usize = 20;
/// Plans shown in one list: WhatsApp's limit.
pub const MAX_OFFERS: usize = 10;

/// Everything the bot remembers of one customer. Stored as JSON, one key per customer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Where replies go; learnt from the customer's messages.
    #[serde(default)]
    pub identity: Identity,
    #[serde(default)]
    pub language: Language,
    /// Chosen by command: detection no longer switches it.
    #[serde(default)]
    pub language_chosen: bool,
    #[serde(default)]
    pub stage: Stage,
    /// Unix seconds of the customer's last input; 0 before the first.
    #[serde(default)]
    pub last_active: i64,
    /// Bumped whenever new choices are shown; choice ids carry it, so a tap on an older
    /// list or button is recognised as such.
    #[serde(default)]
    pub menu: u32,
    #[serde(default)]
    pub trip: Option<Trip>,
    /// The plans of the latest list, in the order shown.
    #[serde(default)]
    pub offers: Vec<Offer>,
    /// The plan whose summary was shown last.
    #[serde(default)]
    pub chosen: Option<usize>,
    /// When that summary was shown (Unix seconds). Part of the order id, so an id never
    /// repeats even for a customer whose conversation was forgotten and whose menu numbers
    /// start again.
    #[serde(default)]
    pub chosen_at: i64,
    /// The customer's orders, oldest first.
    #[serde(default)]
    pub orders: Vec<String>,
    /// Orders whose eSIM was sent, so a repeated "ready" never sends it twice.
    #[serde(default)]
    pub delivered: Vec<String>,
    /// eSIMs ready while the customer's 24-hour window was closed: a template told them,
    /// and the eSIM itself follows their next message.
    #[serde(default)]
    pub owed: Vec<OwedEsim>,
    /// The profiles (esimTranNo) the customer was told are connected, once each.
    #[serde(default)]
    pub connected: Vec<String>,
    /// When the offers on show are top-ups: the profile (esimTranNo) they would top up.
    #[serde(default)]
    pub top_up_for: Option<String>,
    /// Ids of recently handled inputs.
    #[serde(default)]
    pub handled: VecDeque<String>,
}

/// Where the conversation stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    /// Nothing said yet, or started over.
    #[default]
    Start,
    AskedDestination,
    ChoosingPlan,
    ConfirmingPlan,
    /// Buy was tapped; the order is being placed (or its payment page opened).
    Ordering {
        order_id: String,
    },
    /// The customer has a payment link; the order waits for the money.
    AwaitingPayment {
        order_id: String,
    },
    /// The order is in; waiting for the supplier to issue the eSIM.
    Preparing {
        order_id: String,
    },
    Delivered,
    /// A person was asked to take over.
    WithAgent,
}

/// The destination of the latest search, as the traveller will read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trip {
    /// "Japan and South Korea", in the traveller's language where names are known.
    pub label: String,
    /// What the traveller wrote to name it, so a later "10 days" can refine the search.
    #[serde(default)]
    pub query: String,
    pub days: Option<u32>,
    /// How many places the traveller named (countries, or 1 for a region or global).
    pub places: usize,
}

/// One plan as offered in chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub package_code: String,
    /// The plan's full name.
    pub name: String,
    /// "10 GB", "Unlimited".
    pub data: String,
    /// Days of validity (for a day pass: the days bought).
    pub days: u32,
    /// For a day pass, the days to buy; `None` for fixed plans.
    pub period_days: Option<u32>,
    /// The price for the trip, e.g. "12.50" (USD).
    pub price: String,
    /// Names of the trip's places it covers.
    pub covers: Vec<String>,
    pub whole_trip: bool,
    /// Starts on first network connection (rather than on install).
    pub starts_on_first_use: bool,
}

/// An eSIM that could not be sent yet, because WhatsApp only lets a template through
/// outside the 24-hour window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwedEsim {
    pub order_id: String,
    pub plan: String,
    pub activation_code: String,
}

/// Something that happened, for the conversation to react to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// A text from the traveller.
    Text {
        body: String,
    },
    /// A list row or reply button tapped (its id), or a template button (its payload).
    Choice {
        id: String,
    },
    /// A message the bot cannot read (an image, a voice note, a location, ...), by kind.
    Unreadable {
        kind: String,
    },
    /// The customer opened the chat for the first time.
    Welcome,
    /// What a search found.
    SearchDone(SearchOutcome),
    OrderPlaced {
        order_id: String,
    },
    /// A top-up was applied to the customer's eSIM.
    TopUpApplied {
        order_id: String,
        plan: String,
    },
    /// A payment page is open for the order.
    CheckoutStarted {
        order_id: String,
        url: String,
    },
    /// The payment page could not be opened; nothing was charged.
    CheckoutFailed {
        order_id: String,
    },
    /// This customer cannot buy in chat (no payment method is configured for them).
    PurchaseClosed {
        order_id: String,
    },
    /// The money arrived; the order went to the supplier.
    PaymentConfirmed {
        order_id: String,
    },
    /// The payment page expired or the payment failed (`why`); nothing was charged.
    CheckoutExpired {
        order_id: String,
        #[serde(default = "link_expired")]
        why: PaymentProblem,
    },
    /// The customer paid, but no eSIM will come of it (`why`): they are owed a refund.
    PaidButFailed {
        order_id: String,
        #[serde(default = "supplier_refused")]
        why: PaymentProblem,
    },
    /// The supplier refused the order; nothing was charged.
    OrderRefused {
        order_id: String,
        reason: String,
    },
    /// The supplier could not be reached; the same Buy can be tapped again safely.
    OrderUnavailable {
        order_id: String,
    },
    /// The eSIM of an order is issued.
    EsimReady {
        order_id: String,
        plan: String,
        activation_code: String,
        /// Whether free-form messages reach the customer now (their 24-hour window is
        /// open); otherwise only a template can.
        #[serde(default = "yes")]
        reachable: bool,
    },
    /// The phone installed the eSIM, or it first connected to a network.
    Connected {
        esim_tran_no: String,
        plan: String,
    },
    /// An eSIM's data is running low.
    DataLow {
        esim_tran_no: String,
        plan: String,
        /// "512 MB", "1.5 GB".
        left: String,
        reachable: bool,
    },
    /// An eSIM's validity is running out.
    Expiring {
        esim_tran_no: String,
        plan: String,
        days_left: u32,
        reachable: bool,
    },
    /// The top-up plans of one of the customer's eSIMs; `esim_tran_no` is `None` when the
    /// customer has no eSIM that can be topped up.
    TopUpOffers {
        esim_tran_no: Option<String>,
        plan: String,
        offers: Vec<Offer>,
    },
    /// An operator handed the conversation back to the bot.
    Released,
    /// The customer's eSIMs as the executor found them, for "my eSIMs" or "usage".
    EsimsListed {
        listing: Listing,
        esims: Vec<EsimLine>,
    },
    /// A per-customer limit stopped an action.
    LimitReached {
        limit: Limit,
        max: u32,
    },
}

fn yes() -> bool {
    true
}

fn link_expired() -> PaymentProblem {
    PaymentProblem::LinkExpired
}

fn supplier_refused() -> PaymentProblem {
    PaymentProblem::SupplierRefused
}

impl Input {
    /// Whether the traveller did this (as opposed to the system).
    fn is_from_traveller(&self) -> bool {
        matches!(
            self,
            Input::Text { .. } | Input::Choice { .. } | Input::Unreadable { .. } | Input::Welcome
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SearchOutcome {
    Found {
        trip: Trip,
        offers: Vec<Offer>,
    },
    NoDestination,
    /// No place, but trip details (days, data): they refine the previous destination.
    DetailsOnly {
        text: String,
    },
    NoPlans {
        trip: Trip,
    },
    Unavailable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Listing {
    Esims,
    Usage,
}

/// One of the customer's eSIMs, as "my eSIMs" and "usage" show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EsimLine {
    pub plan: String,
    pub state: EsimState,
    /// Data left and in total, formatted ("1.2 GB"), when the supplier reported usage.
    pub left: Option<String>,
    pub total: Option<String>,
    /// The last day of validity, when known ("2026-12-31").
    pub expires: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EsimState {
    AwaitingPayment,
    Preparing,
    Ready,
    /// Installed or connected.
    InUse,
    UsedUp,
    Expired,
    Failed,
    ToppedUp,
    Cancelled,
    RefundPending,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    SearchesPerMinute,
    OrdersPerDay,
}

/// What the executor should do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Send(Reply),
    /// Read the destination out of `text` and find plans; answers with `SearchDone`.
    Search {
        text: String,
    },
    /// Buy: place the order, or open its payment page first, as the customer's payment
    /// route says. Answers with `OrderPlaced`, `TopUpApplied`, `CheckoutStarted`,
    /// `CheckoutFailed`, `PurchaseClosed`, `OrderRefused` or `OrderUnavailable`.
    PlaceOrder {
        order_id: String,
        package_code: String,
        period_days: Option<u32>,
        /// The profile to top up, for a top-up.
        #[serde(default)]
        esim_tran_no: Option<String>,
    },
    /// Find the top-up plans of a profile (the latest eSIM when `None`); answers with
    /// `TopUpOffers`.
    OfferTopUps {
        esim_tran_no: Option<String>,
    },
    /// Send the eSIM: the QR code image with `caption`, then `details` and the activation
    /// string as text, in that order.
    DeliverEsim {
        order_id: String,
        activation_code: String,
        caption: String,
    },
    /// Look up the customer's orders; answers with `EsimsListed`.
    ListEsims {
        listing: Listing,
    },
    /// Ask a person to take over the conversation.
    HandOff,
}

/// A message in the bot's own terms; the executor turns it into WhatsApp's form and Meta's
/// limits are applied there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    Text {
        body: String,
    },
    List {
        body: String,
        button: String,
        section: String,
        footer: Option<String>,
        /// (id, title, description)
        rows: Vec<(String, String, String)>,
    },
    Buttons {
        body: String,
        /// (id, title)
        buttons: Vec<(String, String)>,
    },
    /// An approved template, the only message WhatsApp delivers outside the 24-hour
    /// window; the executor maps the kind to the configured template name.
    Template {
        template: TemplateKind,
        /// The body's placeholders, in order.
        params: Vec<String>,
    },
}

/// Which approved template to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    /// "Your eSIM for {{1}} is ready; reply to receive it."
    EsimReady,
    /// "Your eSIM for {{1}} has {{2}} of data left."
    DataLow,
    /// "Your eSIM for {{1}} expires in {{2}} days."
    Expiring,
}

/// What a step needs besides the conversation.
pub struct Context<'a> {
    /// Unix seconds.
    pub now: i64,
    /// A silence this long starts the flow over (orders are kept).
    pub idle_restart_secs: i64,
    /// A stable, opaque token of the customer, for order ids.
    pub customer_token: &'a str,
    pub texts: &'a Texts,
}

/// Advances the conversation by one input.
pub fn step(
    mut conversation: Conversation,
    input: &Input,
    context: &Context<'_>,
) -> (Conversation, Vec<Action>) {
    let mut turn = Turn {
        conversation: &mut conversation,
        context,
        actions: Vec::new(),
    };
    turn.react(input);
    let actions = turn.actions;
    (conversation, actions)
}

struct Turn<'c, 'a> {
    conversation: &'c mut Conversation,
    context: &'c Context<'a>,
    actions: Vec<Action>,
}

impl Turn<'_, '_> {
    fn react(&mut self, input: &Input) {
        if input.is_from_traveller() {
            // The customer wrote, so their window is open again: what waited for it goes
            // first.
            self.deliver_owed();
            let idle = self.context.now - self.conversation.last_active;
            // A person may take long to be answered, and an order in flight is not a flow
            // to abandon: only a choice in progress starts over.
            let resumable = !matches!(
                self.conversation.stage,
                Stage::Start
                    | Stage::Preparing { .. }
                    | Stage::Ordering { .. }
                    | Stage::AwaitingPayment { .. }
                    | Stage::WithAgent
            );
            if self.conversation.last_active > 0
                && idle > self.context.idle_restart_secs
                && resumable
            {
                self.forget_choices();
                self.conversation.stage = Stage::Start;
                if !matches!(input, Input::Text { .. }) {
                    self.say("timed-out", &[]);
                    self.conversation.stage = Stage::AskedDestination;
                    self.conversation.last_active = self.context.now;
                    return;
                }
            }
            self.conversation.last_active = self.context.now;
        }

        match input {
            Input::Text { body } => self.text(body),
            Input::Choice { id } => self.choice(id),
            Input::Welcome => self.greet(),
            // A person answering can see photos and voice notes; the bot stays quiet.
            Input::Unreadable { .. } if self.conversation.stage == Stage::WithAgent => {}
            Input::Unreadable { .. } => self.say("unsupported-message", &[]),
            Input::SearchDone(outcome) => self.search_done(outcome),
            // The eSIM came first (a retried turn): nothing left to announce.
            Input::OrderPlaced { order_id } if self.conversation.delivered.contains(order_id) => {
                if !self.conversation.orders.contains(order_id) {
                    self.conversation.orders.push(order_id.clone());
                }
            }
            Input::OrderPlaced { order_id } => {
                self.conversation.stage = Stage::Preparing {
                    order_id: order_id.clone(),
                };
                self.remember_order(order_id);
                let short = short_ref(order_id);
                self.say("order-placed", &[("order", Arg::Text(&short))]);
            }
            Input::OrderRefused { reason, .. } => {
                self.conversation.stage = Stage::ConfirmingPlan;
                self.say("order-refused", &[("reason", Arg::Text(reason))]);
            }
            Input::OrderUnavailable { .. } => {
                self.conversation.stage = Stage::ConfirmingPlan;
                self.say("order-unavailable", &[]);
            }
            Input::EsimReady {
                order_id,
                plan,
                activation_code,
                reachable,
            } => self.esim_ready(order_id, plan, activation_code, *reachable),
            Input::TopUpApplied { order_id, plan } => {
                self.remember_order(order_id);
                if self.is_waiting_for(order_id) {
                    self.forget_choices();
                    self.conversation.stage = Stage::Delivered;
                }
                self.say("top-up-applied", &[("plan", Arg::Text(plan))]);
            }
            Input::CheckoutStarted { order_id, url } => {
                self.remember_order(order_id);
                if self.is_waiting_for(order_id) {
                    self.conversation.stage = Stage::AwaitingPayment {
                        order_id: order_id.clone(),
                    };
                }
                let id = if self.conversation.top_up_for.is_some() {
                    "checkout-link-top-up"
                } else {
                    "checkout-link"
                };
                self.say(id, &[("url", Arg::Text(url))]);
            }
            Input::CheckoutFailed { .. } => {
                self.conversation.stage = Stage::ConfirmingPlan;
                self.say("checkout-unavailable", &[]);
            }
            Input::PurchaseClosed { .. } => {
                self.conversation.stage = Stage::ConfirmingPlan;
                self.say("purchase-closed", &[]);
            }
            Input::PaymentConfirmed { order_id } => {
                self.remember_order(order_id);
                if self.conversation.delivered.contains(order_id) {
                    return;
                }
                if self.is_waiting_for(order_id) {
                    self.conversation.stage = Stage::Preparing {
                        order_id: order_id.clone(),
                    };
                }
                let short = short_ref(order_id);
                self.say("payment-received", &[("order", Arg::Text(&short))]);
            }
            Input::CheckoutExpired { order_id, why } => {
                self.say(
                    if *why == PaymentProblem::PaymentFailed {
                        "payment-failed"
                    } else {
                        "checkout-expired"
                    },
                    &[],
                );
                if self.is_waiting_for(order_id) {
                    // The plan is still on offer: show it again with a Buy that opens a
                    // new payment page, fresh enough not to have timed out.
                    self.conversation.stage = Stage::ConfirmingPlan;
                    self.conversation.last_active = self.context.now;
                    match self.conversation.chosen {
                        Some(index) if index < self.conversation.offers.len() => {
                            self.show_summary(index);
                        }
                        _ => self.conversation.stage = Stage::AskedDestination,
                    }
                }
            }
            Input::PaidButFailed { order_id, why } => {
                if self.is_waiting_for(order_id) {
                    self.forget_choices();
                    self.conversation.stage = Stage::AskedDestination;
                }
                let short = short_ref(order_id);
                // Say what happened: the traveller's next step depends on it.
                let id = match why {
                    PaymentProblem::WrongAmount => "paid-wrong-amount",
                    PaymentProblem::PaidLate => "paid-late",
                    _ => "paid-but-failed",
                };
                self.say(id, &[("order", Arg::Text(&short))]);
            }
            Input::Connected { esim_tran_no, plan } => {
                if remember(&mut self.conversation.connected, esim_tran_no) {
                    self.say("esim-connected", &[("plan", Arg::Text(plan))]);
                }
            }
            Input::DataLow {
                esim_tran_no,
                plan,
                left,
                reachable,
            } => {
                if !reachable {
                    return self.send(Reply::Template {
                        template: TemplateKind::DataLow,
                        params: vec![plan.clone(), left.clone()],
                    });
                }
                let body = self.text_of(
                    "data-low",
                    &[("plan", Arg::Text(plan)), ("left", Arg::Text(left))],
                );
                self.offer_top_up_button(body, esim_tran_no);
            }
            Input::Expiring {
                esim_tran_no,
                plan,
                days_left,
                reachable,
            } => {
                if !reachable {
                    return self.send(Reply::Template {
                        template: TemplateKind::Expiring,
                        params: vec![plan.clone(), days_left.to_string()],
                    });
                }
                let body = self.text_of(
                    "expiring",
                    &[
                        ("plan", Arg::Text(plan)),
                        ("days", Arg::Number(i64::from(*days_left))),
                    ],
                );
                self.offer_top_up_button(body, esim_tran_no);
            }
            Input::TopUpOffers {
                esim_tran_no,
                plan,
                offers,
            } => self.top_up_offers(esim_tran_no.as_deref(), plan, offers),
            Input::Released => {
                if self.conversation.stage == Stage::WithAgent {
                    self.conversation.stage = Stage::AskedDestination;
                    self.say("released", &[]);
                }
            }
            Input::EsimsListed { listing, esims } => self.list_esims(*listing, esims),
            Input::LimitReached { limit, max } => match limit {
                Limit::SearchesPerMinute => self.say("limit-searches", &[]),
                Limit::OrdersPerDay => {
                    self.conversation.stage = Stage::ConfirmingPlan;
                    self.say("limit-orders", &[("limit", Arg::Number(i64::from(*max)))]);
                }
            },
        }
    }

    fn text(&mut self, body: &str) {
        if let Some(command) = words::command(body) {
            self.command(command);
            return;
        }
        if !self.conversation.language_chosen
            && let Some(language) = words::detect_language(body)
        {
            self.conversation.language = language;
        }
        if words::greeting(body).is_some() {
            if self.conversation.stage == Stage::WithAgent {
                return self.say("with-agent", &[]);
            }
            return self.greet();
        }
        if self.conversation.stage == Stage::WithAgent {
            // A person is answering; the bot stays out of the way.
            return;
        }
        if self.conversation.stage == Stage::ChoosingPlan
            && let Ok(number) = body.trim().trim_end_matches('.').parse::<usize>()
        {
            // Travellers type the number of a row as often as they tap it.
            let count = self.conversation.offers.len();
            match number.checked_sub(1).filter(|index| *index < count) {
                Some(index) => self.show_summary(index),
                None => self.say(
                    "pick-a-number",
                    &[("count", Arg::Number(i64::try_from(count).unwrap_or(0)))],
                ),
            }
            return;
        }
        // Travellers type a button's words ("buy") or its place as often as they tap it.
        if self.conversation.stage == Stage::ConfirmingPlan
            && let Some(id) = self.typed_summary_button(body)
        {
            return self.choice(&id);
        }
        // Anything else may name a destination; the search says whether it does.
        self.actions.push(Action::Search {
            text: body.to_owned(),
        });
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Menu => {
                if self.conversation.stage == Stage::WithAgent {
                    self.conversation.stage = Stage::Start;
                }
                let body = self.text_of("menu-body", &[]);
                let buttons = vec![
                    ("menu:new".to_owned(), self.text_of("menu-new", &[])),
                    ("menu:esims".to_owned(), self.text_of("menu-esims", &[])),
                    ("menu:help".to_owned(), self.text_of("menu-help", &[])),
                ];
                self.send(Reply::Buttons { body, buttons });
            }
            Command::Help => self.say("help", &[]),
            Command::Restart => {
                self.forget_choices();
                self.conversation.stage = Stage::AskedDestination;
                self.say("restarted", &[]);
            }
            Command::MyEsims => self.actions.push(Action::ListEsims {
                listing: Listing::Esims,
            }),
            Command::Usage => self.actions.push(Action::ListEsims {
                listing: Listing::Usage,
            }),
            Command::TopUp => {
                if self.conversation.orders.is_empty() {
                    self.say("top-up-none", &[]);
                } else {
                    self.actions
                        .push(Action::OfferTopUps { esim_tran_no: None });
                }
            }
            Command::Agent => {
                self.conversation.stage = Stage::WithAgent;
                self.actions.push(Action::HandOff);
                self.say("handed-off", &[]);
            }
            Command::Language(language) => {
                self.conversation.language = language;
                self.conversation.language_chosen = true;
                self.say("language-set", &[]);
            }
        }
    }

    fn choice(&mut self, id: &str) {
        let mut parts = id.split(':');
        let kind = parts.next().unwrap_or("");
        if kind == "topup" {
            // A top-up button names its eSIM, and only lists the current top-up plans,
            // so an old one is as good as a new one.
            let esim_tran_no = parts.next().filter(|id| !id.is_empty()).map(str::to_owned);
            self.actions.push(Action::OfferTopUps { esim_tran_no });
            return;
        }
        if kind == "menu" {
            return match parts.next() {
                Some("new") => {
                    self.forget_choices();
                    self.conversation.stage = Stage::AskedDestination;
                    self.say("ask-destination", &[]);
                }
                Some("esims") => self.command(Command::MyEsims),
                _ => self.command(Command::Help),
            };
        }
        let menu = parts.next().and_then(|menu| menu.parse::<u32>().ok());
        if menu != Some(self.conversation.menu) || self.conversation.offers.is_empty() {
            return self.stale_choice();
        }
        match (kind, self.conversation.stage.clone()) {
            ("plan", Stage::ChoosingPlan | Stage::ConfirmingPlan | Stage::Delivered) => {
                let index = parts.next().and_then(|index| index.parse::<usize>().ok());
                match index.filter(|index| *index < self.conversation.offers.len()) {
                    Some(index) => self.show_summary(index),
                    None => self.stale_choice(),
                }
            }
            ("buy", Stage::ConfirmingPlan) => self.buy(),
            ("other", Stage::ConfirmingPlan) => self.show_plans(),
            ("change", _) => {
                self.forget_choices();
                self.conversation.stage = Stage::AskedDestination;
                self.say("ask-destination", &[]);
            }
            _ => self.stale_choice(),
        }
    }

    /// A tap on something no longer current: say so, act on nothing, show what is current.
    fn stale_choice(&mut self) {
        match (&self.conversation.stage, self.conversation.chosen) {
            (Stage::ChoosingPlan, _) if !self.conversation.offers.is_empty() => {
                self.say("stale-choice", &[]);
                self.show_plans();
            }
            (Stage::ConfirmingPlan, Some(index)) if index < self.conversation.offers.len() => {
                self.say("stale-choice", &[]);
                self.show_summary(index);
            }
            (Stage::Ordering { .. } | Stage::Preparing { .. }, _) => {
                self.say("still-preparing", &[]);
            }
            (Stage::AwaitingPayment { .. }, _) => self.say("still-awaiting-payment", &[]),
            _ => {
                self.forget_choices();
                self.conversation.stage = Stage::AskedDestination;
                self.say("stale-choice-restart", &[]);
            }
        }
    }

    fn greet(&mut self) {
        self.forget_choices();
        self.conversation.stage = Stage::AskedDestination;
        self.say("greeting", &[]);
    }

    fn search_done(&mut self, outcome: &SearchOutcome) {
        match outcome {
            SearchOutcome::Found { trip, offers } => {
                self.conversation.top_up_for = None;
                self.conversation.trip = Some(trip.clone());
                self.conversation.offers = offers.iter().take(MAX_OFFERS).cloned().collect();
                self.conversation.chosen = None;
                self.show_plans();
            }
            SearchOutcome::NoDestination => {
                if self.conversation.stage == Stage::Start {
                    // A first message that is neither a greeting nor a place: introduce
                    // the bot rather than complain.
                    self.greet();
                } else {
                    self.say("no-destination", &[]);
                }
            }
            SearchOutcome::DetailsOnly { text } => match &self.conversation.trip {
                Some(trip) if !trip.query.is_empty() => {
                    let text = format!("{} {text}", trip.query);
                    self.actions.push(Action::Search { text });
                }
                _ => self.say("no-destination", &[]),
            },
            SearchOutcome::NoPlans { trip } => {
                self.forget_choices();
                self.conversation.stage = Stage::AskedDestination;
                self.say("no-plans", &[("destination", Arg::Text(&trip.label))]);
            }
            SearchOutcome::Unavailable => self.say("search-unavailable", &[]),
        }
    }

    fn show_plans(&mut self) {
        self.conversation.menu = self.conversation.menu.wrapping_add(1);
        self.conversation.stage = Stage::ChoosingPlan;
        let menu = self.conversation.menu;
        let (label, days, places) = self
            .conversation
            .trip
            .as_ref()
            .map_or((String::new(), 0, 1), |trip| {
                (trip.label.clone(), trip.days.unwrap_or(0), trip.places)
            });
        let body = if self.conversation.top_up_for.is_some() {
            self.text_of("top-up-body", &[("plan", Arg::Text(&label))])
        } else {
            self.text_of(
                "plans-body",
                &[
                    ("destination", Arg::Text(&label)),
                    ("days", Arg::Number(i64::from(days))),
                ],
            )
        };
        let offers = self.conversation.offers.clone();
        let titles = row_titles(&offers);
        let rows = offers
            .iter()
            .zip(titles)
            .enumerate()
            .map(|(index, (offer, title))| {
                let validity =
                    self.text_of("plan-days", &[("days", Arg::Number(i64::from(offer.days)))]);
                let mut description = self.text_of(
                    "plan-row",
                    &[
                        ("data", Arg::Text(&offer.data)),
                        ("validity", Arg::Text(&validity)),
                        ("price", Arg::Text(&offer.price)),
                    ],
                );
                if !offer.whole_trip && places > 1 {
                    let partial = self.text_of(
                        "plan-partial",
                        &[
                            (
                                "covered",
                                Arg::Number(i64::try_from(offer.covers.len()).unwrap_or(0)),
                            ),
                            ("wanted", Arg::Number(i64::try_from(places).unwrap_or(0))),
                        ],
                    );
                    description = format!("{description} · {partial}");
                }
                // A title that had to leave the plan's name out leaves it to the description.
                let short_name = list_title(&offer.name);
                if title != short_name {
                    description = format!("{short_name} · {description}");
                }
                (format!("plan:{menu}:{index}"), title, description)
            })
            .collect();
        let reply = Reply::List {
            body,
            button: self.text_of("plans-button", &[]),
            section: self.text_of("plans-section", &[]),
            footer: Some(self.text_of("plans-footer", &[])),
            rows,
        };
        self.send(reply);
    }

    fn show_summary(&mut self, index: usize) {
        let Some(offer) = self.conversation.offers.get(index).cloned() else {
            return self.stale_choice();
        };
        self.conversation.chosen = Some(index);
        self.conversation.chosen_at = self.context.now;
        self.conversation.stage = Stage::ConfirmingPlan;
        self.conversation.menu = self.conversation.menu.wrapping_add(1);
        let menu = self.conversation.menu;
        let validity = self.text_of("plan-days", &[("days", Arg::Number(i64::from(offer.days)))]);
        let mut starts = self.text_of(
            if self.conversation.top_up_for.is_some() {
                "summary-top-up"
            } else if offer.starts_on_first_use {
                "summary-starts-first-use"
            } else {
                "summary-starts-install"
            },
            &[],
        );
        if !offer.whole_trip
            && self
                .conversation
                .trip
                .as_ref()
                .is_some_and(|trip| trip.places > 1)
        {
            starts = format!("{starts}\n{}", self.text_of("summary-not-whole-trip", &[]));
        }
        let countries = offer.covers.join(", ");
        let body = self.text_of(
            "summary",
            &[
                ("name", Arg::Text(&offer.name)),
                ("data", Arg::Text(&offer.data)),
                ("validity", Arg::Text(&validity)),
                ("countries", Arg::Text(&countries)),
                ("price", Arg::Text(&offer.price)),
                ("starts", Arg::Text(&starts)),
            ],
        );
        let buttons = self.summary_buttons(menu);
        self.send(Reply::Buttons { body, buttons });
    }

    /// The buttons under a plan's summary, as ids and labels.
    fn summary_buttons(&self, menu: u32) -> Vec<(String, String)> {
        let mut buttons = vec![
            (format!("buy:{menu}"), self.text_of("button-buy", &[])),
            (
                format!("other:{menu}"),
                self.text_of("button-other-plans", &[]),
            ),
        ];
        // A top-up is for the eSIM the traveller has; there is no destination to change.
        if self.conversation.top_up_for.is_none() {
            buttons.push((
                format!("change:{menu}"),
                self.text_of("button-change-destination", &[]),
            ));
        }
        buttons
    }

    /// The summary button `body` names by its label ("buy") or its place ("1"), if any.
    /// English labels count in every language: many travellers type them whatever the
    /// language of the chat.
    fn typed_summary_button(&self, body: &str) -> Option<String> {
        let typed = words::normalise(body);
        let buttons = self.summary_buttons(self.conversation.menu);
        let in_english = |id: &str| {
            let key = match id.split(':').next() {
                Some("buy") => "button-buy",
                Some("other") => "button-other-plans",
                _ => "button-change-destination",
            };
            words::normalise(&self.context.texts.get(Language::En, key, &[]))
        };
        let by_place = typed
            .trim_end_matches('.')
            .parse::<usize>()
            .ok()
            .and_then(|number| number.checked_sub(1))
            .and_then(|index| buttons.get(index));
        by_place
            .or_else(|| {
                buttons
                    .iter()
                    .find(|(id, label)| words::normalise(label) == typed || in_english(id) == typed)
            })
            .map(|(id, _)| id.clone())
    }

    fn buy(&mut self) {
        let Some(offer) = self
            .conversation
            .chosen
            .and_then(|index| self.conversation.offers.get(index))
            .cloned()
        else {
            return self.stale_choice();
        };
        // One order per summary shown: tapping Buy twice (or a redelivered tap) names the
        // same order, which the order service places only once.
        let order_id = format!(
            "wa-{}-{}-{}",
            self.context.customer_token, self.conversation.chosen_at, self.conversation.menu
        );
        self.conversation.stage = Stage::Ordering {
            order_id: order_id.clone(),
        };
        self.actions.push(Action::PlaceOrder {
            order_id,
            package_code: offer.package_code,
            period_days: offer.period_days,
            esim_tran_no: self.conversation.top_up_for.clone(),
        });
    }

    /// Whether the conversation is waiting on this order (rather than having moved on).
    fn is_waiting_for(&self, order_id: &str) -> bool {
        matches!(
            &self.conversation.stage,
            Stage::Ordering { order_id: waited }
                | Stage::AwaitingPayment { order_id: waited }
                | Stage::Preparing { order_id: waited }
                if waited == order_id
        )
    }

    fn remember_order(&mut self, order_id: &str) {
        remember(&mut self.conversation.orders, order_id);
    }

    /// Sends the eSIMs that waited for the customer's window to open.
    fn deliver_owed(&mut self) {
        for owed in std::mem::take(&mut self.conversation.owed) {
            self.esim_ready(&owed.order_id, &owed.plan, &owed.activation_code, true);
        }
    }

    fn offer_top_up_button(&mut self, body: String, esim_tran_no: &str) {
        let buttons = vec![
            (
                format!("topup:{esim_tran_no}"),
                self.text_of("button-top-up", &[]),
            ),
            ("menu:esims".to_owned(), self.text_of("menu-esims", &[])),
        ];
        self.send(Reply::Buttons { body, buttons });
    }

    fn top_up_offers(&mut self, esim_tran_no: Option<&str>, plan: &str, offers: &[Offer]) {
        let Some(esim_tran_no) = esim_tran_no else {
            return self.say("top-up-none", &[]);
        };
        if offers.is_empty() {
            return self.say("top-up-no-plans", &[("plan", Arg::Text(plan))]);
        }
        if self.conversation.stage == Stage::WithAgent {
            self.conversation.stage = Stage::Start;
        }
        self.conversation.top_up_for = Some(esim_tran_no.to_owned());
        self.conversation.trip = Some(Trip {
            label: plan.to_owned(),
            query: String::new(),
            days: None,
            places: 1,
        });
        self.conversation.offers = offers.iter().take(MAX_OFFERS).cloned().collect();
        self.conversation.chosen = None;
        self.show_plans();
    }

    fn esim_ready(&mut self, order_id: &str, plan: &str, activation_code: &str, reachable: bool) {
        if self
            .conversation
            .delivered
            .iter()
            .any(|done| done == order_id)
        {
            return;
        }
        if !reachable {
            // Only a template gets through now; the eSIM follows the customer's answer.
            if !self
                .conversation
                .owed
                .iter()
                .any(|owed| owed.order_id == order_id)
            {
                self.conversation.owed.push(OwedEsim {
                    order_id: order_id.to_owned(),
                    plan: plan.to_owned(),
                    activation_code: activation_code.to_owned(),
                });
                self.send(Reply::Template {
                    template: TemplateKind::EsimReady,
                    params: vec![plan.to_owned()],
                });
            }
            return;
        }
        remember(&mut self.conversation.delivered, order_id);
        let waiting = matches!(
            &self.conversation.stage,
            Stage::Preparing { order_id: waited } | Stage::Ordering { order_id: waited }
                if waited == order_id
        );
        if waiting {
            self.conversation.stage = Stage::Delivered;
        }
        let caption = self.text_of("esim-ready-caption", &[("plan", Arg::Text(plan))]);
        self.actions.push(Action::DeliverEsim {
            order_id: order_id.to_owned(),
            activation_code: activation_code.to_owned(),
            caption,
        });
    }

    fn list_esims(&mut self, listing: Listing, esims: &[EsimLine]) {
        if esims.is_empty() {
            return self.say("no-esims", &[]);
        }
        let mut body = self.text_of("esims-list", &[]);
        for esim in esims {
            let line = match (listing, &esim.left, &esim.total) {
                (Listing::Usage, Some(left), Some(total)) => self.text_of(
                    "usage-line",
                    &[
                        ("plan", Arg::Text(&esim.plan)),
                        ("left", Arg::Text(left)),
                        ("total", Arg::Text(total)),
                        (
                            "expires",
                            Arg::Text(esim.expires.as_deref().unwrap_or("none")),
                        ),
                    ],
                ),
                (Listing::Usage, _, _) => {
                    self.text_of("usage-unknown", &[("plan", Arg::Text(&esim.plan))])
                }
                (Listing::Esims, _, _) => {
                    let state = self.text_of(
                        match esim.state {
                            EsimState::AwaitingPayment => "esim-state-awaiting-payment",
                            EsimState::Preparing => "esim-state-preparing",
                            EsimState::Ready => "esim-state-ready",
                            EsimState::InUse => "esim-state-in-use",
                            EsimState::UsedUp => "esim-state-used-up",
                            EsimState::Expired => "esim-state-expired",
                            EsimState::Failed => "esim-state-failed",
                            EsimState::ToppedUp => "esim-state-topped-up",
                            EsimState::Cancelled => "esim-state-cancelled",
                            EsimState::RefundPending => "esim-state-refund-pending",
                        },
                        &[],
                    );
                    self.text_of(
                        "esim-line",
                        &[
                            ("plan", Arg::Text(&esim.plan)),
                            ("state", Arg::Text(&state)),
                        ],
                    )
                }
            };
            body.push('\n');
            body.push_str(&line);
        }
        self.send(Reply::Text { body });
    }

    fn forget_choices(&mut self) {
        self.conversation.top_up_for = None;
        self.conversation.offers.clear();
        self.conversation.chosen = None;
        self.conversation.trip = None;
        // Every list or button shown before is now out of date.
        self.conversation.menu = self.conversation.menu.wrapping_add(1);
    }

    fn text_of(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        self.context.texts.get(self.conversation.language, id, args)
    }

    fn say(&mut self, id: &str, args: &[(&str, Arg<'_>)]) {
        let body = self.text_of(id, args);
        self.send(Reply::Text { body });
    }

    fn send(&mut self, reply: Reply) {
        self.actions.push(Action::Send(reply));
    }
}

/// Adds `id` to one of the conversation's bounded memories (orders, deliveries,
/// connections), dropping the oldest beyond [`ORDERS_MEMORY`]; false when it was there.
fn remember(memory: &mut Vec<String>, id: &str) -> bool {
    if memory.iter().any(|known| known == id) {
        return false;
    }
    memory.push(id.to_owned());
    let excess = memory.len().saturating_sub(ORDERS_MEMORY);
    memory.drain(..excess);
    true
}

/// The most characters of a list row title WhatsApp shows.
const ROW_TITLE_CHARS: usize = 24;

/// One title per offer, each within WhatsApp's limit and all different, since WhatsApp
/// refuses a list whose rows share a title and a traveller could not tell them apart: the
/// name without detail when it fits, else the plan's data and days, numbered when two
/// plans would still read the same.
fn row_titles(offers: &[Offer]) -> Vec<String> {
    let mut titles: Vec<String> = offers
        .iter()
        .map(|offer| {
            let short = list_title(&offer.name);
            if short.chars().count() <= ROW_TITLE_CHARS {
                short
            } else {
                format!("{} · {}d", offer.data, offer.days)
            }
        })
        .collect();
    // Compared before any is numbered, so every plan of a pair gets its number, not only
    // the first.
    let plain = titles.clone();
    for index in 0..titles.len() {
        if plain.iter().filter(|title| **title == plain[index]).count() > 1 {
            let suffix = format!(" #{}", index + 1);
            let keep = ROW_TITLE_CHARS.saturating_sub(suffix.chars().count());
            let base: String = titles[index].chars().take(keep).collect();
            titles[index] = format!("{}{suffix}", base.trim_end());
        }
    }
    titles
}

/// A plan's name as a list row shows it: without parenthesised detail ("Europe (42 areas)
/// 5GB 30Days" → "Europe 5GB 30Days"), so the data and days survive WhatsApp's 24-character
/// row titles; the summary shows the full name.
fn list_title(name: &str) -> String {
    let mut title = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => title.push(c),
            _ => {}
        }
    }
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        name.to_owned()
    } else {
        title
    }
}

/// The short reference of an order shown to the traveller: eight characters that
/// support can match to the order, unlike a slice of the id, which repeats its prefix.
fn short_ref(order_id: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(order_id.as_bytes())[..4]).to_uppercase()
}

#[cfg(test)]
mod list_title_tests {
    use super::list_title;

    #[test]
    fn row_titles_fit_and_never_repeat() {
        let offer = |name: &str, data: &str, days: u32| super::Offer {
            package_code: name.to_owned(),
            name: name.to_owned(),
            data: data.to_owned(),
            days,
            period_days: None,
            price: "1.00".to_owned(),
            covers: Vec::new(),
            whole_trip: true,
            starts_on_first_use: true,
        };
        let offers = [
            offer("United States & Canada 5GB 30Days", "5 GB", 30),
            offer("United States & Canada 5GB 7Days", "5 GB", 7),
            offer("Global (130 areas) 3GB 15Days", "3 GB", 15),
            offer("Global (139 areas) 3GB 15Days", "3 GB", 15),
            offer("United States & Canada 5GB 30Days (fast)", "5 GB", 30),
        ];
        let titles = super::row_titles(&offers);
        assert_eq!(titles[1], "5 GB · 7d");
        assert_eq!(
            titles[2..4],
            ["Global 3GB 15Days #3", "Global 3GB 15Days #4"],
            "both plans of a pair are numbered"
        );
        for (index, title) in titles.iter().enumerate() {
            assert!(title.chars().count() <= 24, "{title}");
            assert_eq!(
                titles.iter().filter(|other| *other == title).count(),
                1,
                "{index}: {titles:?}"
            );
        }
    }

    #[test]
    fn list_titles_drop_parenthesised_detail_only() {
        assert_eq!(
            list_title("Europe (42 areas) 5GB 30Days"),
            "Europe 5GB 30Days"
        );
        assert_eq!(list_title("Japan 10GB 30Days"), "Japan 10GB 30Days");
        assert_eq!(list_title("(odd)"), "(odd)");
        assert_eq!(
            list_title("Global (120+ areas) 3GB 15Days"),
            "Global 3GB 15Days"
        );
    }
}
