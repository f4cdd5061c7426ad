//! The conversation that sells an eSIM in chat.
//!
//! [`step`] is the whole conversation as a pure function. [`Bot`] is its executor: it
//! keeps each customer's [`Conversation`] in the store (one key, saved with
//! compare-and-set), turns WhatsApp updates and order news into inputs, runs the step, and
//! carries out the actions (search, order, send) through a [`channel::Channel`], feeding
//! their results back in as inputs. The same `Bot` serves WhatsApp and `bino chat`.
//!
//! A turn is saved together with the actions it decided, before any of them runs. If the
//! process dies halfway, the retried turn finds those actions still pending and carries
//! them out instead of deciding again, so every message is answered; an action may then
//! run twice, which orders tolerate (one order per id) and a reply rarely shows.

pub mod channel;
mod record;
pub mod step;
#[cfg(test)]
mod step_tests;
pub mod texts;
pub mod words;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use serde::{Deserialize, Serialize};

use self::channel::{Channel, ChannelError};
pub use self::step::{Action, Conversation, Input, Reply, Stage, step};
use self::step::{
    Context, EsimLine, EsimState, Limit, MAX_OFFERS, Offer, SearchOutcome, TemplateKind, Trip,
};
use self::texts::{Arg, Language, Texts};
use crate::catalog::{self, ActivationTrigger, CountryCode, DataAllowance, format_volume};
use crate::discovery::Discovery;
use crate::events::EventPublisher;
use crate::jobs::whatsapp::{CustomerKeys, Turn, TurnError, TurnHandler};
use crate::orders::{
    OrderChange, OrderError, OrderItemRequest, OrderKind, OrderRecord, OrderRequest, OrderService,
    OrderStatus, PaymentRecord, ProfileUpdate, ProfileView,
};
use crate::payments::{
    CheckoutError, CheckoutRequest, PaymentPolicy, PaymentProblem, PaymentRoute,
};
use crate::store::{SharedStore, StoreError};
use crate::supply::cache::CatalogCache;
use crate::supply::{EsimStatus, PackageQuery};
use crate::whatsapp::Identity;
use crate::whatsapp::message::{ButtonsMessage, ListMessage, Outbound, Row, TemplateMessage};
use crate::whatsapp::model::{Content, InboundMessage, Update};

/// A conversation untouched this long is forgotten (its orders are not).
const CONVERSATION_TTL: Duration = Duration::from_secs(90 * 24 * 3600);
/// Attempts at saving a turn when another writer got there first.
const SAVE_ATTEMPTS: usize = 30;
/// Inputs one turn may lead to (a search and its results, an order and its outcome, ...);
/// a bound against a step that would keep asking for more.
const MAX_FOLLOW_UPS: usize = 8;

/// How the bot behaves; from the settings.
#[derive(Clone, Debug)]
pub struct BotSettings {
    /// A silence this long starts the flow over.
    pub idle_restart: Duration,
    pub searches_per_minute: u32,
    pub orders_per_day: u32,
    pub margin_percent: u32,
    /// Data left, in percent of the plan, below which the traveller is offered a top-up.
    pub low_data_percent: u32,
    pub templates: TemplateNames,
}

/// The names of the approved WhatsApp templates sent outside the 24-hour window. Each
/// must exist, approved, in every language the bot speaks, with the body parameters
/// [`TemplateKind`] describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateNames {
    pub esim_ready: String,
    pub data_low: String,
    pub expiring: String,
}

impl Default for TemplateNames {
    fn default() -> Self {
        TemplateNames {
            esim_ready: "esim_ready".to_owned(),
            data_low: "esim_data_low".to_owned(),
            expiring: "esim_expiring".to_owned(),
        }
    }
}

impl TemplateNames {
    fn name(&self, kind: TemplateKind) -> &str {
        match kind {
            TemplateKind::EsimReady => &self.esim_ready,
            TemplateKind::DataLow => &self.data_low,
            TemplateKind::Expiring => &self.expiring,
        }
    }
}

/// The language code of a template's approved translation.
fn template_language(language: Language) -> &'static str {
    match language {
        Language::En => "en",
        Language::Es => "es",
        // Meta has two Portuguese translations; Brazil is where most travellers write from.
        Language::Pt => "pt_BR",
        Language::Fr => "fr",
        Language::De => "de",
    }
}

#[derive(Debug, thiserror::Error)]
enum DecideError {
    #[error("the conversation changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The read receipt of the message a turn answers. It goes out once the step has decided,
/// alongside the work rather than before it, so a Graph round trip never delays a quick
/// answer. "Typing…" comes with it only when the answer waits on slow work (a search, an
/// order), and that answer then waits for the receipt, so the indicator never outlives it;
/// a conversation with a person gets the receipt alone.
#[derive(Default)]
struct Receipt {
    message_id: Option<String>,
    typing: Option<tokio::task::JoinHandle<()>>,
}

impl Receipt {
    fn for_message(message_id: &str) -> Self {
        Receipt {
            message_id: Some(message_id.to_owned()),
            typing: None,
        }
    }

    /// Sends the receipt, once, in the manner `actions` call for.
    fn send(&mut self, channel: &Arc<dyn Channel>, actions: &[Action]) {
        let Some(message_id) = self.message_id.take() else {
            return;
        };
        let slow = actions.iter().any(|action| {
            matches!(
                action,
                Action::Search { .. } | Action::PlaceOrder { .. } | Action::OfferTopUps { .. }
            )
        });
        let channel = Arc::clone(channel);
        let sending = tokio::spawn(async move { channel.acknowledge(&message_id, slow).await });
        if slow {
            self.typing = Some(sending);
        }
    }

    /// Waits for a "typing…" receipt still on its way, so it cannot arrive after the answer.
    async fn wait(&mut self) {
        if let Some(sending) = self.typing.take() {
            let _ = sending.await;
        }
    }
}

/// The stored form: the conversation and the actions of the turn in progress.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Saved {
    conversation: Conversation,
    /// The input whose actions are not all carried out yet, and those actions.
    #[serde(default)]
    pending: Option<Pending>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Pending {
    input_id: String,
    actions: Vec<Action>,
}

/// The executor; built once at start-up from the parts it drives.
pub struct Bot {
    pub store: SharedStore,
    pub discovery: Arc<Discovery>,
    pub catalog: Arc<CatalogCache>,
    pub orders: Arc<OrderService>,
    /// Tells the support desk of hand-offs.
    pub events: Arc<EventPublisher>,
    pub channel: Arc<dyn Channel>,
    /// Whether a customer pays before an order is placed, and how.
    pub payments: Arc<PaymentPolicy>,
    pub settings: BotSettings,
}

/// The order owner of a customer: orders placed in chat belong to it.
pub fn order_owner(customer: &str) -> String {
    format!("whatsapp:{customer}")
}

/// The customer of an order placed in chat.
pub fn customer_of(owner: &str) -> Option<&str> {
    owner.strip_prefix("whatsapp:")
}

impl Bot {
    fn conversation_key(customer: &str) -> String {
        format!("wa:{{{}}}:conversation", CustomerKeys::new(customer).tag())
    }

    /// The customer's conversation as stored, for tests and support tools.
    pub async fn conversation(&self, customer: &str) -> Result<Option<Conversation>, StoreError> {
        let (bytes, saved) = self.load(customer).await?;
        Ok(bytes.map(|_| saved.conversation))
    }

    async fn load(&self, customer: &str) -> Result<(Option<Vec<u8>>, Saved), StoreError> {
        let bytes = self.store.get(&Self::conversation_key(customer)).await?;
        let saved = match &bytes {
            Some(bytes) => record::decode(bytes).unwrap_or_else(|error| {
                // A record from an incompatible version: start afresh rather than fail
                // every turn of this customer.
                tracing::warn!(%error, "stored conversation unreadable; starting afresh");
                Saved::default()
            }),
            None => Saved::default(),
        };
        Ok((bytes, saved))
    }

    async fn save(
        &self,
        customer: &str,
        previous: Option<&[u8]>,
        saved: &Saved,
    ) -> Result<bool, StoreError> {
        let bytes = record::encode(saved);
        self.store
            .compare_and_swap(
                &Self::conversation_key(customer),
                previous,
                &bytes,
                Some(CONVERSATION_TTL),
            )
            .await
    }

    /// Handles one input of `customer` and everything it leads to.
    pub async fn run(
        &self,
        customer: &str,
        identity: Option<&Identity>,
        input_id: &str,
        input: Input,
    ) -> Result<(), TurnError> {
        self.answer(customer, identity, input_id, input, Receipt::default())
            .await
    }

    /// Like [`Bot::run`], for a traveller's message that gets a read receipt.
    async fn answer(
        &self,
        customer: &str,
        identity: Option<&Identity>,
        input_id: &str,
        input: Input,
        mut receipt: Receipt,
    ) -> Result<(), TurnError> {
        let mut inputs = VecDeque::from([(input_id.to_owned(), input)]);
        let mut follow_ups = 0;
        while let Some((id, input)) = inputs.pop_front() {
            let (id, produced) = self
                .turn(customer, identity, &id, &input, &mut receipt)
                .await?;
            for (index, next) in produced.into_iter().enumerate() {
                follow_ups += 1;
                if follow_ups > MAX_FOLLOW_UPS {
                    tracing::error!("a turn kept asking for more; stopped");
                    return Ok(());
                }
                inputs.push_back((format!("{id}/{index}"), next));
            }
        }
        Ok(())
    }

    /// One input: step and save (or resume what a crash interrupted), then act. Returns
    /// the id of the input whose actions ran (a follow-up's, when one was resumed) and the
    /// inputs they produced.
    async fn turn(
        &self,
        customer: &str,
        identity: Option<&Identity>,
        input_id: &str,
        input: &Input,
        receipt: &mut Receipt,
    ) -> Result<(String, Vec<Input>), TurnError> {
        let store_error = |error: StoreError| TurnError(error.to_string());

        let decide = || self.decide(customer, identity, input_id, input);
        // Another writer may save between our read and our write (an order's news while a
        // message is handled); then the step runs again on what they saved.
        let decision = decide
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(1))
                    .with_max_delay(Duration::from_millis(50))
                    .with_max_times(SAVE_ATTEMPTS)
                    .with_jitter(),
            )
            .when(|error| matches!(error, DecideError::Conflict))
            .await
            .map_err(|error| match error {
                DecideError::Conflict => {
                    TurnError("the conversation kept changing under this turn".to_owned())
                }
                DecideError::Store(error) => TurnError(error.to_string()),
            })?;
        let Some((input_id, conversation, actions)) = decision else {
            return Ok((input_id.to_owned(), Vec::new()));
        };
        let input_id = input_id.as_str();

        receipt.send(&self.channel, &actions);
        let mut produced = Vec::new();
        for action in &actions {
            if matches!(action, Action::Send(_) | Action::DeliverEsim { .. }) {
                receipt.wait().await;
            }
            if let Some(next) = self.act(customer, input_id, &conversation, action).await? {
                produced.push(next);
            }
        }
        // With follow-ups the pending actions stay until the first follow-up is decided,
        // which replaces them in the same write: a crash in between finds them and runs
        // them again, rather than finding the message handled and its answer never sent.
        // TODO: keep every unfinished follow-up, not only the first, because a crash between
        // deciding two follow-ups of one turn still loses the second one's answer.
        if !actions.is_empty() && produced.is_empty() {
            self.clear_pending(customer, input_id)
                .await
                .map_err(store_error)?;
        }
        Ok((input_id.to_owned(), produced))
    }

    /// Steps the conversation with `input` and saves the outcome with its actions; or finds
    /// the actions this input (or one of its follow-ups) left pending before a crash, with
    /// the id they belong to. `None` for an input handled already.
    async fn decide(
        &self,
        customer: &str,
        identity: Option<&Identity>,
        input_id: &str,
        input: &Input,
    ) -> Result<Option<(String, Conversation, Vec<Action>)>, DecideError> {
        let (bytes, saved) = self.load(customer).await?;
        if let Some(pending) = &saved.pending
            && (pending.input_id == input_id
                || pending
                    .input_id
                    .strip_prefix(input_id)
                    .is_some_and(|rest| rest.starts_with('/')))
        {
            // This input, or a follow-up of it, was decided before a crash: carry out what
            // was decided.
            return Ok(Some((
                pending.input_id.clone(),
                saved.conversation,
                pending.actions.clone(),
            )));
        }
        if saved
            .conversation
            .handled
            .iter()
            .any(|seen| seen == input_id)
        {
            return Ok(None);
        }
        let mut conversation = saved.conversation;
        if bytes.is_none()
            && let Some(language) = identity
                .and_then(|identity| identity.wa_id.as_deref())
                .and_then(words::language_from_phone)
        {
            conversation.language = language;
        }
        if let Some(identity) = identity {
            conversation.identity.merge(identity);
        }
        let keys = CustomerKeys::new(customer);
        let context = Context {
            now: chrono::Utc::now().timestamp(),
            idle_restart_secs: i64::try_from(self.settings.idle_restart.as_secs())
                .unwrap_or(i64::MAX),
            customer_token: &keys.tag()[..10],
            texts: Texts::global(),
        };
        let (mut next, actions) = step(conversation, input, &context);
        next.handled.push_back(input_id.to_owned());
        while next.handled.len() > step::HANDLED_MEMORY {
            next.handled.pop_front();
        }
        let saved = Saved {
            conversation: next.clone(),
            pending: (!actions.is_empty()).then(|| Pending {
                input_id: input_id.to_owned(),
                actions: actions.clone(),
            }),
        };
        if self.save(customer, bytes.as_deref(), &saved).await? {
            Ok(Some((input_id.to_owned(), next, actions)))
        } else {
            Err(DecideError::Conflict)
        }
    }

    async fn clear_pending(&self, customer: &str, input_id: &str) -> Result<(), StoreError> {
        for _ in 0..SAVE_ATTEMPTS {
            let (bytes, mut saved) = self.load(customer).await?;
            if saved
                .pending
                .as_ref()
                .is_none_or(|pending| pending.input_id != input_id)
            {
                return Ok(());
            }
            saved.pending = None;
            if self.save(customer, bytes.as_deref(), &saved).await? {
                return Ok(());
            }
        }
        Err(StoreError::Protocol(
            "the conversation kept changing".to_owned(),
        ))
    }

    /// Carries out one action; some answer with an input for the next step.
    async fn act(
        &self,
        customer: &str,
        input_id: &str,
        conversation: &Conversation,
        action: &Action,
    ) -> Result<Option<Input>, TurnError> {
        let to = &conversation.identity;
        match action {
            Action::Send(reply) => {
                match outbound(reply, &self.settings.templates, conversation.language) {
                    Ok(message) => {
                        self.deliver(customer, to, &message, reply_purpose(reply))
                            .await?;
                    }
                    // A reply WhatsApp would refuse is a bug; trying again cannot fix it,
                    // so it is counted and the turn goes on.
                    Err(error) => {
                        tracing::error!(%error, purpose = reply_purpose(reply), "bot reply could not be built");
                        metrics::counter!("bino_bot_messages_dropped_total", "purpose" => "unbuildable")
                            .increment(1);
                    }
                }
                Ok(None)
            }
            Action::Search { text } => {
                if !self
                    .within_limit(customer, Limit::SearchesPerMinute)
                    .await?
                {
                    return Ok(Some(Input::LimitReached {
                        limit: Limit::SearchesPerMinute,
                        max: self.settings.searches_per_minute,
                    }));
                }
                Ok(Some(Input::SearchDone(
                    self.search(text, conversation.language).await,
                )))
            }
            Action::PlaceOrder {
                order_id,
                package_code,
                period_days,
                esim_tran_no,
            } => {
                let new_order = !conversation.orders.contains(order_id);
                if new_order && !self.within_limit(customer, Limit::OrdersPerDay).await? {
                    return Ok(Some(Input::LimitReached {
                        limit: Limit::OrdersPerDay,
                        max: self.settings.orders_per_day,
                    }));
                }
                let request = OrderRequest {
                    bino_transaction_id: order_id.clone(),
                    items: vec![OrderItemRequest {
                        package_code: package_code.clone(),
                        quantity: 1,
                        period_days: *period_days,
                        esim_tran_no: esim_tran_no.clone(),
                    }],
                };
                Ok(Some(self.buy(customer, request).await?))
            }
            Action::OfferTopUps { esim_tran_no } => Ok(Some(
                self.top_up_offers(customer, conversation, esim_tran_no.as_deref())
                    .await?,
            )),
            Action::DeliverEsim {
                order_id,
                activation_code,
                caption,
            } => {
                self.deliver_esim(customer, conversation, order_id, activation_code, caption)
                    .await?;
                Ok(None)
            }
            Action::ListEsims { listing } => {
                let esims = self.esim_lines(customer, conversation, *listing).await?;
                Ok(Some(Input::EsimsListed {
                    listing: *listing,
                    esims,
                }))
            }
            Action::HandOff => {
                self.hand_off(customer, input_id, conversation).await?;
                Ok(None)
            }
        }
    }

    /// Tells the support desk that the customer asked for a person, with their latest
    /// order for context. The event's id comes from the input that asked, so a retried
    /// turn announces it once.
    async fn hand_off(
        &self,
        customer: &str,
        input_id: &str,
        conversation: &Conversation,
    ) -> Result<(), TurnError> {
        let latest_order = match conversation.orders.last() {
            Some(order_id) => match self.orders.get(&order_owner(customer), order_id).await {
                Ok(record) => Some(record),
                Err(OrderError::NotFound) => None,
                Err(error) => return Err(TurnError(error.to_string())),
            },
            None => None,
        };
        self.events
            .handoff_requested(customer, latest_order.as_ref(), input_id)
            .await
            .map_err(|error| TurnError(error.to_string()))?;
        metrics::counter!("bino_bot_handoffs_total").increment(1);
        tracing::info!(customer = %&CustomerKeys::new(customer).tag()[..12], "customer asked for a person");
        Ok(())
    }

    /// Sends one message; whether it went out (`false`: dropped, and counted as such).
    async fn deliver(
        &self,
        customer: &str,
        to: &Identity,
        message: &Outbound,
        purpose: &str,
    ) -> Result<bool, TurnError> {
        match self.channel.send(customer, to, message, purpose).await {
            Ok(()) => Ok(true),
            Err(ChannelError::Retry(reason)) => Err(TurnError(reason)),
            Err(ChannelError::Dropped(reason)) => {
                tracing::warn!(%reason, purpose, "bot message dropped");
                metrics::counter!("bino_bot_messages_dropped_total", "purpose" => purpose.to_owned())
                    .increment(1);
                Ok(false)
            }
        }
    }

    /// Counts one use of a limited action; false when the limit is reached.
    async fn within_limit(&self, customer: &str, limit: Limit) -> Result<bool, TurnError> {
        let keys = CustomerKeys::new(customer);
        let now = chrono::Utc::now().timestamp();
        let (name, window, max) = match limit {
            Limit::SearchesPerMinute => ("searches", 60, self.settings.searches_per_minute),
            Limit::OrdersPerDay => ("orders", 24 * 3600, self.settings.orders_per_day),
        };
        let key = format!("wa:{{{}}}:limit:{name}:{}", keys.tag(), now / window);
        let count = self
            .store
            .increment(&key, Some(Duration::from_secs(window.unsigned_abs())))
            .await
            .map_err(|error| TurnError(error.to_string()))?;
        Ok(count <= i64::from(max))
    }

    async fn search(&self, text: &str, language: Language) -> SearchOutcome {
        let query = self.discovery.understand(text).await;
        if !query.has_destination() {
            if query.days.is_some() || query.data_bytes.is_some() || query.unlimited {
                return SearchOutcome::DetailsOnly {
                    text: text.to_owned(),
                };
            }
            return SearchOutcome::NoDestination;
        }
        let mut trip = trip_of(&query, language);
        trip.query = text.to_owned();
        let packages = match self
            .catalog
            .packages_for_trip(query.countries.iter().copied(), query.global)
            .await
        {
            Ok(packages) => packages,
            Err(error) => {
                tracing::warn!(%error, "catalog unavailable for a chat search");
                return SearchOutcome::Unavailable;
            }
        };
        let recommendations =
            catalog::recommend(&packages, &query.needs(), self.settings.margin_percent);
        if recommendations.is_empty() {
            return SearchOutcome::NoPlans { trip };
        }
        let offers = recommendations
            .into_iter()
            .take(MAX_OFFERS)
            .map(|recommendation| offer_of(&recommendation, language))
            .collect();
        SearchOutcome::Found { trip, offers }
    }

    /// Buys as the customer's payment route says: at once, or through a payment page.
    async fn buy(&self, customer: &str, request: OrderRequest) -> Result<Input, TurnError> {
        let order_id = request.bino_transaction_id.clone();
        let checkout = match self.payments.route(customer) {
            PaymentRoute::PlaceNow => return self.place_order(customer, request).await,
            PaymentRoute::Closed => {
                metrics::counter!("bino_bot_orders_total", "outcome" => "closed").increment(1);
                return Ok(Input::PurchaseClosed { order_id });
            }
            PaymentRoute::Pay(checkout) => checkout,
        };
        let owner = order_owner(customer);
        let record = match self.orders.reserve(&owner, request).await {
            Ok(record) => record,
            Err(error) => return Ok(self.order_error_input(&order_id, error)),
        };
        match record.status {
            OrderStatus::AwaitingPayment => {}
            // A Buy repeated after the payment: the order is under way already.
            OrderStatus::Cancelled => {
                return Ok(Input::CheckoutExpired {
                    order_id,
                    why: problem_of(&record, PaymentProblem::LinkExpired),
                });
            }
            OrderStatus::RefundNeeded => {
                return Ok(Input::PaidButFailed {
                    order_id,
                    why: problem_of(&record, PaymentProblem::SupplierRefused),
                });
            }
            _ => return Ok(Input::OrderPlaced { order_id }),
        }
        if let Some(url) = record
            .payment
            .as_ref()
            .and_then(|payment| payment.url.clone())
        {
            return Ok(Input::CheckoutStarted { order_id, url });
        }
        let request = CheckoutRequest {
            order_id: order_id.clone(),
            reference: crate::orders::payment_reference(&record),
            description: match record.kind {
                OrderKind::TopUp => format!("Top-up: {}", plan_of(&record)),
                OrderKind::NewEsims => format!("eSIM: {}", plan_of(&record)),
            },
            amount: record.total_price,
        };
        match checkout.start(&request).await {
            Ok(session) => {
                let payment = PaymentRecord {
                    session_id: Some(session.session_id),
                    url: Some(session.url.clone()),
                    ..PaymentRecord::new(checkout.name())
                };
                self.orders
                    .record_checkout(&owner, &order_id, payment)
                    .await
                    .map_err(|error| TurnError(error.to_string()))?;
                metrics::counter!("bino_bot_orders_total", "outcome" => "checkout").increment(1);
                Ok(Input::CheckoutStarted {
                    order_id,
                    url: session.url,
                })
            }
            Err(error) => {
                match &error {
                    CheckoutError::Unavailable(_) => {
                        tracing::warn!(%error, "payment page not opened")
                    }
                    CheckoutError::Refused(_) => tracing::error!(%error, "payment page refused"),
                }
                Ok(Input::CheckoutFailed { order_id })
            }
        }
    }

    async fn place_order(&self, customer: &str, request: OrderRequest) -> Result<Input, TurnError> {
        let order_id = request.bino_transaction_id.clone();
        match self.orders.place(&order_owner(customer), request).await {
            Ok(record) => {
                metrics::counter!("bino_bot_orders_total", "outcome" => "placed").increment(1);
                if record.kind == OrderKind::TopUp {
                    return Ok(Input::TopUpApplied {
                        order_id,
                        plan: plan_of(&record),
                    });
                }
                if record.status.has_esims() {
                    // Allocated already (a retried Buy): the news may have come and gone.
                    crate::jobs::whatsapp::submit(
                        self.store.as_ref(),
                        customer,
                        &format!("order:{order_id}:changed"),
                        Turn::OrderChanged {
                            order_id: order_id.clone(),
                        },
                    )
                    .await
                    .map_err(|error| TurnError(error.to_string()))?;
                }
                Ok(Input::OrderPlaced { order_id })
            }
            Err(error) => Ok(self.order_error_input(&order_id, error)),
        }
    }

    /// What the conversation hears of an order that could not be placed.
    fn order_error_input(&self, order_id: &str, error: OrderError) -> Input {
        let order_id = order_id.to_owned();
        match error {
            OrderError::SupplierRejected(reason) | OrderError::Invalid(reason) => {
                metrics::counter!("bino_bot_orders_total", "outcome" => "refused").increment(1);
                Input::OrderRefused { order_id, reason }
            }
            OrderError::Unavailable(_) => {
                metrics::counter!("bino_bot_orders_total", "outcome" => "unavailable").increment(1);
                Input::OrderUnavailable { order_id }
            }
            error @ (OrderError::Conflict(_) | OrderError::NotFound) => {
                // The id is derived from the conversation; this means a bug, not bad input.
                tracing::error!(%error, "a chat order could not be placed");
                Input::OrderUnavailable { order_id }
            }
        }
    }

    /// The top-up plans of one of the customer's eSIMs (the latest one when `esim_tran_no`
    /// is `None`), priced as any plan.
    async fn top_up_offers(
        &self,
        customer: &str,
        conversation: &Conversation,
        esim_tran_no: Option<&str>,
    ) -> Result<Input, TurnError> {
        let owner = order_owner(customer);
        let mut found: Option<(OrderRecord, ProfileView)> = None;
        for order_id in conversation.orders.iter().rev() {
            let record = match self.orders.get(&owner, order_id).await {
                Ok(record) => record,
                Err(OrderError::NotFound) => continue,
                Err(error) => return Err(TurnError(error.to_string())),
            };
            let profile = record.profiles.iter().find(|profile| {
                esim_tran_no.is_none_or(|wanted| profile.esim_tran_no == wanted)
                    && tops_up(&profile.status)
            });
            if let Some(profile) = profile.cloned() {
                found = Some((record, profile));
                break;
            }
        }
        let Some((record, profile)) = found else {
            return Ok(Input::TopUpOffers {
                esim_tran_no: None,
                plan: String::new(),
                offers: Vec::new(),
            });
        };
        let query = PackageQuery {
            plan_type: Some(crate::catalog::PlanType::TopUp),
            iccid: profile.iccid.clone(),
            package_code: match profile.iccid {
                Some(_) => None,
                None => record.items.first().map(|item| item.package_code.clone()),
            },
            ..PackageQuery::default()
        };
        let packages = match self.catalog.supplier().list_packages(&query).await {
            Ok(packages) => packages,
            Err(error) => {
                tracing::warn!(%error, "top-up plans unavailable");
                Vec::new()
            }
        };
        let language = conversation.language;
        let offers = catalog::search(
            &packages,
            &catalog::SearchFilters::default(),
            self.settings.margin_percent,
        )
        .iter()
        .filter(|plan| plan.plan_type == catalog::PlanType::TopUp)
        .take(MAX_OFFERS)
        .map(|plan| top_up_offer(plan, language))
        .collect();
        Ok(Input::TopUpOffers {
            esim_tran_no: Some(profile.esim_tran_no),
            plan: plan_of(&record),
            offers,
        })
    }

    async fn deliver_esim(
        &self,
        customer: &str,
        conversation: &Conversation,
        order_id: &str,
        activation_code: &str,
        caption: &str,
    ) -> Result<(), TurnError> {
        let to = &conversation.identity;
        let texts = Texts::global();
        let language = conversation.language;
        match self
            .channel
            .send_qr(customer, to, activation_code, caption, "esim_qr")
            .await
        {
            Ok(()) => {}
            Err(ChannelError::Retry(reason)) => return Err(TurnError(reason)),
            Err(ChannelError::Dropped(reason)) => {
                tracing::warn!(%reason, "eSIM QR code not sent; the text follows");
            }
        }
        let links = crate::delivery::install_links(activation_code);
        let (smdp, code) = match crate::delivery::ActivationCode::parse(activation_code) {
            Ok(parsed) => (parsed.smdp_address, parsed.matching_id.unwrap_or_default()),
            Err(_) => (String::new(), String::new()),
        };
        let details = texts.get(
            language,
            "esim-ready-details",
            &[
                ("ios", Arg::Text(&links.ios)),
                ("android", Arg::Text(&links.android)),
                ("smdp", Arg::Text(&smdp)),
                ("code", Arg::Text(&code)),
            ],
        );
        let details = Outbound::text(details).map_err(|error| TurnError(error.to_string()))?;
        self.deliver(customer, to, &details, "esim_details").await?;
        // The activation string alone in its own message, so a long-press copies just it.
        let label = texts.get(language, "esim-activation-string", &[]);
        let string = Outbound::text(format!("{label}\n{activation_code}"))
            .map_err(|error| TurnError(error.to_string()))?;
        if !self
            .deliver(customer, to, &string, "esim_activation")
            .await?
        {
            // Not delivered after all; "my eSIMs" and the support desk keep it as ready.
            return Ok(());
        }
        metrics::counter!("bino_bot_esims_delivered_total").increment(1);
        tracing::info!(order.id = %crate::telemetry::hash_id(order_id), "eSIM delivered in chat");
        // The messages are out; failing to record it must not send them again.
        if let Err(error) = self
            .orders
            .mark_delivered(&order_owner(customer), order_id)
            .await
        {
            tracing::warn!(%error, "eSIM delivered but not recorded as such");
        }
        Ok(())
    }

    async fn esim_lines(
        &self,
        customer: &str,
        conversation: &Conversation,
        listing: step::Listing,
    ) -> Result<Vec<EsimLine>, TurnError> {
        let owner = order_owner(customer);
        let mut records = Vec::new();
        for order_id in &conversation.orders {
            match self.orders.get(&owner, order_id).await {
                Ok(record) if record.kind == OrderKind::NewEsims => records.push(record),
                // A top-up adds to an eSIM listed under its own order.
                Ok(_) | Err(OrderError::NotFound) => {}
                Err(error) => return Err(TurnError(error.to_string())),
            }
        }
        let usage = if listing == step::Listing::Usage {
            self.usage_of(&records).await
        } else {
            std::collections::HashMap::new()
        };
        Ok(records
            .iter()
            .map(|record| esim_line(record, &usage))
            .collect())
    }

    /// Data used and in total per profile, as the supplier reports it now. The supplier
    /// answers at most ten profiles per call; a failure leaves what the last usage event
    /// recorded.
    async fn usage_of(
        &self,
        records: &[OrderRecord],
    ) -> std::collections::HashMap<String, (u64, u64)> {
        let esim_tran_nos: Vec<String> = records
            .iter()
            .flat_map(|record| &record.profiles)
            .map(|profile| profile.esim_tran_no.clone())
            .collect();
        let mut usage = std::collections::HashMap::new();
        for chunk in esim_tran_nos.chunks(10) {
            match self.catalog.supplier().usage(chunk).await {
                Ok(reports) => {
                    for report in reports {
                        usage.insert(report.esim_tran_no, (report.used_bytes, report.total_bytes));
                    }
                }
                Err(error) => tracing::warn!(%error, "usage not available from the supplier"),
            }
        }
        usage
    }

    /// The input an order change means for the conversation, if any.
    async fn order_news(&self, customer: &str, order_id: &str) -> Result<Option<Input>, TurnError> {
        let record = match self.orders.get(&order_owner(customer), order_id).await {
            Ok(record) => record,
            Err(OrderError::NotFound) => return Ok(None),
            Err(error) => return Err(TurnError(error.to_string())),
        };
        let order_id = order_id.to_owned();
        let paid = record.payment.is_some();
        Ok(match record.status {
            OrderStatus::Allocated | OrderStatus::Delivered => {
                let Some(activation_code) = record
                    .profiles
                    .iter()
                    .find_map(|profile| profile.activation_code.clone())
                else {
                    return Ok(None);
                };
                Some(Input::EsimReady {
                    order_id,
                    plan: plan_of(&record),
                    activation_code,
                    reachable: self.reachable(customer).await?,
                })
            }
            // Orders placed at once were answered when placed; a paid one is news.
            OrderStatus::Submitted if paid => Some(Input::PaymentConfirmed { order_id }),
            OrderStatus::ToppedUp if paid => Some(Input::TopUpApplied {
                order_id,
                plan: plan_of(&record),
            }),
            OrderStatus::Cancelled => Some(Input::CheckoutExpired {
                why: problem_of(&record, PaymentProblem::LinkExpired),
                order_id,
            }),
            OrderStatus::RefundNeeded => Some(Input::PaidButFailed {
                why: problem_of(&record, PaymentProblem::SupplierRefused),
                order_id,
            }),
            _ => None,
        })
    }

    /// The input a supplier's news of one eSIM means for the conversation, if any.
    async fn profile_news(
        &self,
        customer: &str,
        order_id: &str,
        esim_tran_no: &str,
        update: ProfileUpdate,
    ) -> Result<Option<Input>, TurnError> {
        let record = match self.orders.get(&order_owner(customer), order_id).await {
            Ok(record) => record,
            Err(OrderError::NotFound) => return Ok(None),
            Err(error) => return Err(TurnError(error.to_string())),
        };
        let Some(profile) = record
            .profiles
            .iter()
            .find(|profile| profile.esim_tran_no == esim_tran_no)
        else {
            return Ok(None);
        };
        let plan = plan_of(&record);
        let esim_tran_no = esim_tran_no.to_owned();
        Ok(match update {
            ProfileUpdate::Status | ProfileUpdate::Smdp if is_connected(profile) => {
                Some(Input::Connected { esim_tran_no, plan })
            }
            ProfileUpdate::Status | ProfileUpdate::Smdp => None,
            ProfileUpdate::DataUsage => {
                let total = profile.total_volume_bytes;
                let left = total.saturating_sub(profile.used_bytes);
                let low = total > 0
                    && u128::from(left) * 100
                        <= u128::from(total) * u128::from(self.settings.low_data_percent);
                if low {
                    Some(Input::DataLow {
                        esim_tran_no,
                        plan,
                        left: format_volume(left),
                        reachable: self.reachable(customer).await?,
                    })
                } else {
                    None
                }
            }
            ProfileUpdate::ValidityUsage => {
                let Some(expires_at) = profile.expires_at else {
                    return Ok(None);
                };
                let seconds_left = (expires_at - chrono::Utc::now()).num_seconds();
                if seconds_left <= 0 {
                    return Ok(None);
                }
                let days_left = u32::try_from((seconds_left + 86_399) / 86_400).unwrap_or(u32::MAX);
                Some(Input::Expiring {
                    esim_tran_no,
                    plan,
                    days_left,
                    reachable: self.reachable(customer).await?,
                })
            }
        })
    }

    async fn reachable(&self, customer: &str) -> Result<bool, TurnError> {
        self.channel
            .window_open(customer)
            .await
            .map_err(|error| TurnError(error.to_string()))
    }
}

#[async_trait]
impl TurnHandler for Bot {
    async fn handle(&self, customer: &str, turn: &Turn) -> Result<(), TurnError> {
        match turn {
            Turn::Update(Update::Message(message)) => {
                let Some(input) = input_of(message) else {
                    return Ok(());
                };
                let receipt = if matches!(input, Input::Text { .. } | Input::Choice { .. }) {
                    Receipt::for_message(&message.id)
                } else {
                    Receipt::default()
                };
                self.answer(customer, Some(&message.from), &message.id, input, receipt)
                    .await
            }
            Turn::Update(_) => Ok(()),
            Turn::OrderChanged { order_id } => match self.order_news(customer, order_id).await? {
                Some(input) => {
                    let input_id = format!("order:{order_id}:{}", input_name(&input));
                    self.run(customer, None, &input_id, input).await
                }
                None => Ok(()),
            },
            Turn::ProfileChanged {
                order_id,
                esim_tran_no,
                update,
                source_event_id,
            } => {
                let Some(update) = ProfileUpdate::from_name(update) else {
                    return Ok(());
                };
                match self
                    .profile_news(customer, order_id, esim_tran_no, update)
                    .await?
                {
                    Some(input) => {
                        let input_id = format!("profile:{source_event_id}:{esim_tran_no}");
                        self.run(customer, None, &input_id, input).await
                    }
                    None => Ok(()),
                }
            }
            Turn::Released { request_id } => {
                self.run(
                    customer,
                    None,
                    &format!("release:{request_id}"),
                    Input::Released,
                )
                .await
            }
        }
    }
}

/// What a WhatsApp message means to the conversation; `None` for what needs no answer
/// (reactions, deletions, edits, system notices).
fn input_of(message: &InboundMessage) -> Option<Input> {
    Some(match &message.content {
        Content::Text { body } => Input::Text { body: body.clone() },
        Content::ListReply { id, .. } | Content::ButtonReply { id, .. } => {
            Input::Choice { id: id.clone() }
        }
        Content::TemplateButton { payload, .. } => Input::Choice {
            id: payload.clone(),
        },
        Content::RequestWelcome => Input::Welcome,
        Content::Media { kind, .. } => Input::Unreadable {
            kind: format!("{kind:?}").to_lowercase(),
        },
        Content::Location { .. } => Input::Unreadable {
            kind: "location".to_owned(),
        },
        Content::Contacts { .. } => Input::Unreadable {
            kind: "contacts".to_owned(),
        },
        Content::Order { .. } => Input::Unreadable {
            kind: "order".to_owned(),
        },
        Content::FlowReply { .. } => Input::Unreadable {
            kind: "flow".to_owned(),
        },
        Content::Unsupported { .. } | Content::Unknown { .. } => Input::Unreadable {
            kind: "unknown".to_owned(),
        },
        // TODO: move the conversation to the new key when a system notice says the user
        // changed number or BSUID; until then such a user starts afresh in chat.
        Content::Reaction { .. }
        | Content::Revoke { .. }
        | Content::Edit { .. }
        | Content::System { .. } => return None,
    })
}

/// A reply in WhatsApp's form; Meta's limits are applied here.
pub fn outbound(
    reply: &Reply,
    templates: &TemplateNames,
    language: Language,
) -> Result<Outbound, crate::whatsapp::message::BuildError> {
    match reply {
        Reply::Text { body } => Outbound::text(body),
        Reply::List {
            body,
            button,
            section,
            footer,
            rows,
        } => {
            let rows: Vec<Row> = rows
                .iter()
                .map(|(id, title, description)| Row::new(id, title).description(description))
                .collect();
            let mut list = ListMessage::new(body, button).section(section, rows);
            if let Some(footer) = footer {
                list = list.footer(footer);
            }
            list.build()
        }
        Reply::Buttons { body, buttons } => {
            let mut message = ButtonsMessage::new(body);
            for (id, title) in buttons {
                message = message.button(id, title);
            }
            message.build()
        }
        Reply::Template { template, params } => {
            let mut message =
                TemplateMessage::new(templates.name(*template), template_language(language));
            for param in params {
                message = message.body_text(param);
            }
            message.build()
        }
    }
}

/// A short name of an order's news, which makes the turn's input id: the same news of
/// the same order is one input, however often it is queued.
fn input_name(input: &Input) -> &'static str {
    match input {
        Input::EsimReady { .. } => "ready",
        Input::PaymentConfirmed { .. } => "paid",
        Input::TopUpApplied { .. } => "topped-up",
        Input::CheckoutExpired { .. } => "cancelled",
        Input::PaidButFailed { .. } => "refund",
        _ => "news",
    }
}

/// Why a paid-for order came to nothing, as its payment recorded it.
fn problem_of(record: &OrderRecord, otherwise: PaymentProblem) -> PaymentProblem {
    record
        .payment
        .as_ref()
        .and_then(|payment| payment.problem)
        .unwrap_or(otherwise)
}

/// The plan (or plans) an order bought, as the traveller knows it.
fn plan_of(record: &OrderRecord) -> String {
    record
        .items
        .first()
        .map(|item| item.name.clone())
        .unwrap_or_default()
}

/// Whether a profile can take a top-up: issued and not finished for good.
fn tops_up(status: &EsimStatus) -> bool {
    matches!(
        status,
        EsimStatus::GotResource | EsimStatus::InUse | EsimStatus::UsedUp | EsimStatus::Other(_)
    )
}

/// Installed on the phone, or connected to a network.
fn is_connected(profile: &ProfileView) -> bool {
    profile.status == EsimStatus::InUse
        || profile.smdp_status.as_deref().is_some_and(|smdp| {
            smdp.eq_ignore_ascii_case("INSTALLATION") || smdp.eq_ignore_ascii_case("ENABLED")
        })
}

fn top_up_offer(plan: &catalog::Plan, language: Language) -> Offer {
    let mut offer = offer_of(
        &catalog::Recommendation {
            plan: plan.clone(),
            covers: Vec::new(),
            covers_whole_trip: true,
            fits: true,
            period_days: None,
            trip_price: plan.price,
        },
        language,
    );
    offer.covers = country_names(&plan.covered_countries, language);
    offer
}

/// Country codes as the traveller reads them; a code without a name stays as it is.
fn country_names(codes: &[CountryCode], language: Language) -> Vec<String> {
    codes
        .iter()
        .map(|country| country.name_in(language.code()))
        .collect()
}

fn reply_purpose(reply: &Reply) -> &'static str {
    match reply {
        Reply::Text { .. } => "bot_text",
        Reply::List { .. } => "plan_list",
        Reply::Buttons { .. } => "bot_buttons",
        Reply::Template { .. } => "bot_template",
    }
}

fn trip_of(query: &crate::discovery::TripQuery, language: Language) -> Trip {
    let mut names: Vec<String> = query.regions.clone();
    if names.is_empty() {
        names = query
            .countries
            .iter()
            .map(|country| country.name_in(language.code()))
            .collect();
    }
    if query.global && names.is_empty() {
        names.push(Texts::global().get(language, "trip-worldwide", &[]));
    }
    let places = if query.regions.is_empty() {
        query.countries.len().max(1)
    } else {
        query.regions.len()
    };
    let label = if names.len() > 4 {
        format!("{}, … (+{})", names[..3].join(", "), names.len() - 3)
    } else {
        names.join(", ")
    };
    Trip {
        label,
        query: String::new(),
        days: query.days,
        places,
    }
}

fn offer_of(recommendation: &catalog::Recommendation, language: Language) -> Offer {
    let plan = &recommendation.plan;
    let data = if plan.data_allowance == DataAllowance::DailyUnlimited {
        "∞".to_owned()
    } else if plan.data_allowance == DataAllowance::Total {
        format_volume(plan.data_volume_bytes)
    } else {
        Texts::global().get(
            language,
            "data-per-day",
            &[("amount", Arg::Text(&format_volume(plan.data_volume_bytes)))],
        )
    };
    let days = recommendation.period_days.unwrap_or(plan.validity_duration);
    let covers = country_names(&recommendation.covers, language);
    Offer {
        package_code: plan.package_code.clone(),
        name: plan.name.clone(),
        data,
        days,
        period_days: recommendation.period_days,
        price: recommendation.trip_price.to_string(),
        covers,
        whole_trip: recommendation.covers_whole_trip,
        starts_on_first_use: plan.active_type == ActivationTrigger::FirstNetworkConnection,
    }
}

fn esim_line(
    record: &OrderRecord,
    usage: &std::collections::HashMap<String, (u64, u64)>,
) -> EsimLine {
    let state = match record.status {
        OrderStatus::AwaitingPayment => EsimState::AwaitingPayment,
        OrderStatus::Paid | OrderStatus::Pending | OrderStatus::Submitted => EsimState::Preparing,
        OrderStatus::Allocated | OrderStatus::Delivered => match record.profiles.first() {
            Some(profile) if profile.status == EsimStatus::UsedUp => EsimState::UsedUp,
            Some(profile)
                if matches!(
                    profile.status,
                    EsimStatus::UsedExpired | EsimStatus::UnusedExpired
                ) =>
            {
                EsimState::Expired
            }
            Some(profile) if is_connected(profile) => EsimState::InUse,
            _ => EsimState::Ready,
        },
        OrderStatus::ToppedUp => EsimState::ToppedUp,
        OrderStatus::Failed => EsimState::Failed,
        OrderStatus::Cancelled => EsimState::Cancelled,
        OrderStatus::RefundNeeded => EsimState::RefundPending,
    };
    let profile = record.profiles.first();
    let (used, total) = profile
        .map(|profile| {
            usage
                .get(&profile.esim_tran_no)
                .copied()
                .unwrap_or((profile.used_bytes, profile.total_volume_bytes))
        })
        .unwrap_or_default();
    let reported = total > 0;
    EsimLine {
        plan: plan_of(record),
        state,
        left: reported.then(|| format_volume(total.saturating_sub(used))),
        total: reported.then(|| format_volume(total)),
        expires: profile
            .and_then(|profile| profile.expires_at)
            .map(|at| at.format("%Y-%m-%d").to_string()),
    }
}

/// Brings news of chat customers' orders into their conversations, through the same queue
/// as their messages, so the conversation hears it once and in order.
pub struct ChatOrderNews {
    pub store: SharedStore,
}

#[async_trait]
impl crate::orders::OrderObserver for ChatOrderNews {
    async fn order_changed(
        &self,
        record: &OrderRecord,
        change: &OrderChange,
    ) -> Result<(), OrderError> {
        let Some(customer) = customer_of(&record.owner) else {
            return Ok(());
        };
        let order_id = record.bino_transaction_id.clone();
        let (dedupe_id, turn) = match change {
            // What the traveller is waiting to hear; placing at once answers by itself.
            OrderChange::Allocated | OrderChange::Cancelled => (
                format!("order:{order_id}:{change:?}"),
                Turn::OrderChanged { order_id },
            ),
            OrderChange::Submitted | OrderChange::Failed if record.payment.is_some() => (
                format!("order:{order_id}:{change:?}"),
                Turn::OrderChanged { order_id },
            ),
            OrderChange::ProfileUpdated {
                esim_tran_no,
                update,
                source_event_id,
            } => (
                format!("profile:{source_event_id}:{esim_tran_no}"),
                Turn::ProfileChanged {
                    order_id,
                    esim_tran_no: esim_tran_no.clone(),
                    update: update.name().to_owned(),
                    source_event_id: source_event_id.clone(),
                },
            ),
            OrderChange::Submitted
            | OrderChange::Failed
            | OrderChange::Paid
            | OrderChange::Delivered => return Ok(()),
        };
        crate::jobs::whatsapp::submit(self.store.as_ref(), customer, &dedupe_id, turn)
            .await
            .map(drop)
            .map_err(OrderError::from)
    }
}
