//! Tests of the conversation as a pure function: each test feeds [`step`] a sequence of
//! inputs, as the executor would, and reads the actions and the resulting conversation.
//!
//! Texts are compared with the catalogue rather than spelt out, so a translator's edit does
//! not break a test but a wrong message id or a wrong language does.

use super::step::{
    Action, Context, Conversation, EsimLine, EsimState, Input, Limit, Listing, MAX_OFFERS, Offer,
    Reply, SearchOutcome, Stage, TemplateKind, Trip, step,
};
use super::texts::{Arg, Language, Texts};
use super::words;
use crate::payments::PaymentProblem;

/// Unix seconds of the first input of every test.
const NOW: i64 = 1_750_000_000;
const TOKEN: &str = "abc123def0";
const IDLE_RESTART_SECS: i64 = 1800;
const ACTIVATION_CODE: &str = "LPA:1$smdp.example.com$MATCHING-ID-1";

fn context(now: i64) -> Context<'static> {
    Context {
        now,
        idle_restart_secs: IDLE_RESTART_SECS,
        customer_token: TOKEN,
        texts: Texts::global(),
    }
}

/// The catalogue's text `id` in `language`.
fn says(language: Language, id: &str, args: &[(&str, Arg<'_>)]) -> String {
    Texts::global().get(language, id, args)
}

fn en(id: &str) -> String {
    says(Language::En, id, &[])
}

fn text(body: &str) -> Input {
    Input::Text {
        body: body.to_owned(),
    }
}

fn choice(id: &str) -> Input {
    Input::Choice { id: id.to_owned() }
}

/// Offer `index` of a place: odd offers are day passes, every third starts on install.
fn offer_for(place: &str, index: u32) -> Offer {
    Offer {
        package_code: format!("{}-{index}", &place[..2].to_uppercase()),
        name: format!("{place} {}GB {} days", index + 1, 10 + index),
        data: format!("{} GB", index + 1),
        days: 10 + index,
        period_days: (index % 2 == 1).then_some(10 + index),
        price: format!("{}.50", 5 + index),
        covers: vec![place.to_owned()],
        whole_trip: true,
        starts_on_first_use: index % 3 != 2,
    }
}

fn offer(index: u32) -> Offer {
    offer_for("Japan", index)
}

fn trip(label: &str, days: Option<u32>, places: usize) -> Trip {
    Trip {
        label: label.to_owned(),
        query: label.to_owned(),
        days,
        places,
    }
}

fn japan() -> Trip {
    trip("Japan", Some(10), 1)
}

fn found(trip: Trip, offers: Vec<Offer>) -> Input {
    Input::SearchDone(SearchOutcome::Found { trip, offers })
}

fn japan_plans(count: u32) -> Input {
    found(japan(), (0..count).map(offer).collect())
}

fn korea_plans(count: u32) -> Input {
    found(
        trip("South Korea", Some(5), 1),
        (0..count).map(|index| offer_for("Korea", index)).collect(),
    )
}

/// One customer's conversation, stepped input by input with a clock.
struct Chat {
    conversation: Conversation,
    now: i64,
    inputs: Vec<Input>,
}

impl Chat {
    fn new() -> Self {
        Chat {
            conversation: Conversation::default(),
            now: NOW,
            inputs: Vec::new(),
        }
    }

    /// One input, ten seconds after the previous one.
    fn step(&mut self, input: Input) -> Vec<Action> {
        let (next, actions) = step(self.conversation.clone(), &input, &context(self.now));
        self.conversation = next;
        self.inputs.push(input);
        self.now += 10;
        actions
    }

    /// Several inputs in turn; all their actions.
    fn steps(&mut self, inputs: impl IntoIterator<Item = Input>) -> Vec<Action> {
        inputs
            .into_iter()
            .flat_map(|input| self.step(input))
            .collect()
    }

    /// A tap on `kind` (buy, other, change) of the buttons shown last.
    fn tap(&mut self, kind: &str) -> Vec<Action> {
        let id = format!("{kind}:{}", self.conversation.menu);
        self.step(choice(&id))
    }

    /// A tap on row `index` of the list shown last.
    fn tap_plan(&mut self, index: usize) -> Vec<Action> {
        let id = format!("plan:{}:{index}", self.conversation.menu);
        self.step(choice(&id))
    }

    /// The traveller says nothing for `secs` seconds.
    fn wait(&mut self, secs: i64) {
        self.now = self.conversation.last_active + secs;
    }

    fn stage(&self) -> &Stage {
        &self.conversation.stage
    }

    /// The order being placed or prepared.
    fn order_id(&self) -> String {
        match self.stage() {
            Stage::Ordering { order_id }
            | Stage::Preparing { order_id }
            | Stage::AwaitingPayment { order_id } => order_id.clone(),
            other => panic!("no order in progress at {other:?}"),
        }
    }
}

/// The stages a conversation can be brought to for a test.
#[derive(Clone, Copy, Debug, PartialEq)]
enum At {
    Start,
    AskedDestination,
    ChoosingPlan,
    ConfirmingPlan,
    Ordering,
    Preparing,
    Delivered,
    WithAgent,
}

const EVERY_STAGE: [At; 8] = [
    At::Start,
    At::AskedDestination,
    At::ChoosingPlan,
    At::ConfirmingPlan,
    At::Ordering,
    At::Preparing,
    At::Delivered,
    At::WithAgent,
];

/// A conversation brought to `at` the way a traveller would get there.
fn chat_at(at: At) -> Chat {
    let chat = match at {
        At::Start => Chat::new(),
        At::AskedDestination => {
            let mut chat = Chat::new();
            chat.step(text("hi"));
            chat
        }
        At::ChoosingPlan => {
            let mut chat = chat_at(At::AskedDestination);
            chat.steps([text("Japan 10 days"), japan_plans(3)]);
            chat
        }
        At::ConfirmingPlan => {
            let mut chat = chat_at(At::ChoosingPlan);
            chat.tap_plan(1);
            chat
        }
        At::Ordering => {
            let mut chat = chat_at(At::ConfirmingPlan);
            chat.tap("buy");
            chat
        }
        At::Preparing => {
            let mut chat = chat_at(At::Ordering);
            let order_id = chat.order_id();
            chat.step(Input::OrderPlaced { order_id });
            chat
        }
        At::Delivered => {
            let mut chat = chat_at(At::Preparing);
            let order_id = chat.order_id();
            chat.step(esim_ready(&order_id));
            chat
        }
        At::WithAgent => {
            let mut chat = chat_at(At::ChoosingPlan);
            chat.step(text("agent"));
            chat
        }
    };
    let reached = matches!(
        (at, chat.stage()),
        (At::Start, Stage::Start)
            | (At::AskedDestination, Stage::AskedDestination)
            | (At::ChoosingPlan, Stage::ChoosingPlan)
            | (At::ConfirmingPlan, Stage::ConfirmingPlan)
            | (At::Ordering, Stage::Ordering { .. })
            | (At::Preparing, Stage::Preparing { .. })
            | (At::Delivered, Stage::Delivered)
            | (At::WithAgent, Stage::WithAgent)
    );
    assert!(reached, "meant to be at {at:?}, got {:?}", chat.stage());
    chat
}

fn esim_ready(order_id: &str) -> Input {
    Input::EsimReady {
        order_id: order_id.to_owned(),
        plan: offer(1).name,
        activation_code: ACTIVATION_CODE.to_owned(),
        reachable: true,
    }
}

/// The bodies of the text replies among `actions`.
fn texts(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Send(Reply::Text { body }) => Some(body.as_str()),
            _ => None,
        })
        .collect()
}

/// The body of the one action, which must be a text reply.
fn only_text(actions: &[Action]) -> &str {
    match actions {
        [Action::Send(Reply::Text { body })] => body,
        other => panic!("expected one text reply, got {other:#?}"),
    }
}

/// The one list among `actions`: its body and rows.
fn list(actions: &[Action]) -> (&str, &[(String, String, String)]) {
    let lists: Vec<_> = actions
        .iter()
        .filter_map(|action| match action {
            Action::Send(Reply::List { body, rows, .. }) => Some((body.as_str(), rows.as_slice())),
            _ => None,
        })
        .collect();
    match lists.as_slice() {
        [one] => *one,
        other => panic!("expected one list, got {} in {actions:#?}", other.len()),
    }
}

/// The one set of buttons among `actions`: its body and buttons.
fn buttons(actions: &[Action]) -> (&str, &[(String, String)]) {
    let sets: Vec<_> = actions
        .iter()
        .filter_map(|action| match action {
            Action::Send(Reply::Buttons { body, buttons }) => {
                Some((body.as_str(), buttons.as_slice()))
            }
            _ => None,
        })
        .collect();
    match sets.as_slice() {
        [one] => *one,
        other => panic!(
            "expected one set of buttons, got {} in {actions:#?}",
            other.len()
        ),
    }
}

fn has_buttons(actions: &[Action]) -> bool {
    actions
        .iter()
        .any(|action| matches!(action, Action::Send(Reply::Buttons { .. })))
}

fn has_list(actions: &[Action]) -> bool {
    actions
        .iter()
        .any(|action| matches!(action, Action::Send(Reply::List { .. })))
}

fn orders_placed(actions: &[Action]) -> Vec<(&str, &str, Option<u32>)> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::PlaceOrder {
                order_id,
                package_code,
                period_days,
                ..
            } => Some((order_id.as_str(), package_code.as_str(), *period_days)),
            _ => None,
        })
        .collect()
}

fn ids(buttons: &[(String, String)]) -> Vec<&str> {
    buttons.iter().map(|(id, _)| id.as_str()).collect()
}

// The happy path.

#[test]
fn four_traveller_messages_lead_from_hello_to_an_esim() {
    let mut chat = Chat::new();

    let actions = chat.step(text("hi"));
    assert_eq!(only_text(&actions), en("greeting"));
    assert_eq!(chat.stage(), &Stage::AskedDestination);

    let actions = chat.step(text("Japan 10 days"));
    assert_eq!(
        actions,
        [Action::Search {
            text: "Japan 10 days".to_owned()
        }]
    );

    let actions = chat.step(japan_plans(3));
    let menu = chat.conversation.menu;
    let (body, rows) = list(&actions);
    assert_eq!(
        body,
        says(
            Language::En,
            "plans-body",
            &[
                ("destination", Arg::Text("Japan")),
                ("days", Arg::Number(10))
            ]
        )
    );
    assert!(body.contains("whole trip"), "{body}");
    assert!(rows.len() <= MAX_OFFERS);
    assert_eq!(rows.len(), 3);
    for (index, (id, title, description)) in rows.iter().enumerate() {
        let shown = offer(u32::try_from(index).unwrap());
        assert_eq!(id, &format!("plan:{menu}:{index}"));
        assert_eq!(title, &shown.name);
        assert!(
            description.contains(&shown.data) && description.contains(&shown.price),
            "{description}"
        );
    }
    assert_eq!(chat.stage(), &Stage::ChoosingPlan);

    let actions = chat.step(choice(&format!("plan:{menu}:1")));
    let summary_menu = chat.conversation.menu;
    assert_eq!(summary_menu, menu + 1);
    let (body, shown) = buttons(&actions);
    assert_eq!(
        ids(shown),
        [
            format!("buy:{summary_menu}"),
            format!("other:{summary_menu}"),
            format!("change:{summary_menu}"),
        ]
    );
    assert_eq!(shown[0].1, en("button-buy"));
    assert!(body.contains(&offer(1).name), "{body}");
    assert!(body.contains("US$6.50"), "{body}");
    assert_eq!(chat.stage(), &Stage::ConfirmingPlan);
    assert_eq!(chat.conversation.chosen, Some(1));

    let actions = chat.step(choice(&format!("buy:{summary_menu}")));
    let [(order_id, package_code, period_days)] = orders_placed(&actions)[..] else {
        panic!("expected one order, got {actions:#?}");
    };
    assert_eq!(actions.len(), 1);
    assert!(order_id.starts_with("wa-abc123def0-"), "{order_id}");
    assert_eq!(package_code, offer(1).package_code);
    assert_eq!(period_days, Some(11));
    let order_id = order_id.to_owned();
    assert_eq!(
        chat.stage(),
        &Stage::Ordering {
            order_id: order_id.clone()
        }
    );

    let actions = chat.step(Input::OrderPlaced {
        order_id: order_id.clone(),
    });
    let placed = only_text(&actions);
    assert!(placed.contains("preparing"), "{placed}");
    // The reference is eight hex characters derived from the order id.
    let reference = placed
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|word| word.len() == 8 && word.chars().all(|c| c.is_ascii_hexdigit()))
        .expect("a reference");
    assert_eq!(reference, reference.to_uppercase(), "{placed}");
    assert_eq!(
        chat.stage(),
        &Stage::Preparing {
            order_id: order_id.clone()
        }
    );
    assert_eq!(chat.conversation.orders, std::slice::from_ref(&order_id));

    let actions = chat.step(esim_ready(&order_id));
    assert_eq!(
        actions,
        [Action::DeliverEsim {
            order_id: order_id.clone(),
            activation_code: ACTIVATION_CODE.to_owned(),
            caption: says(
                Language::En,
                "esim-ready-caption",
                &[("plan", Arg::Text(&offer(1).name))]
            ),
        }]
    );
    assert_eq!(chat.stage(), &Stage::Delivered);
    assert_eq!(chat.conversation.delivered, [order_id]);

    let traveller_inputs = chat
        .inputs
        .iter()
        .filter(|input| matches!(input, Input::Text { .. } | Input::Choice { .. }))
        .count();
    assert_eq!(traveller_inputs, 4);
}

#[test]
fn a_repeated_esim_ready_never_sends_the_qr_code_twice() {
    let mut chat = chat_at(At::Delivered);
    let order_id = chat.conversation.delivered[0].clone();

    let actions = chat.step(esim_ready(&order_id));

    assert_eq!(actions, []);
    assert_eq!(chat.conversation.delivered, [order_id]);
    assert_eq!(chat.stage(), &Stage::Delivered);
}

#[test]
fn an_esim_ready_for_an_older_order_is_delivered_without_moving_the_conversation() {
    let mut chat = chat_at(At::ChoosingPlan);

    let actions = chat.step(esim_ready("wa-abc123def0-1"));

    assert!(matches!(actions[..], [Action::DeliverEsim { .. }]));
    assert_eq!(chat.stage(), &Stage::ChoosingPlan);
}

// Stale taps.

#[test]
fn buy_on_an_older_summary_never_orders_and_shows_the_current_summary() {
    let mut chat = chat_at(At::ConfirmingPlan);
    let old_summary = chat.conversation.menu;
    chat.tap("other");
    chat.tap_plan(2);
    assert_eq!(chat.conversation.chosen, Some(2));

    let actions = chat.step(choice(&format!("buy:{old_summary}")));

    assert!(orders_placed(&actions).is_empty(), "{actions:#?}");
    assert_eq!(texts(&actions), [en("stale-choice")]);
    let (body, shown) = buttons(&actions);
    assert!(body.contains(&offer(2).name), "{body}");
    assert_eq!(shown[0].0, format!("buy:{}", chat.conversation.menu));
    assert_eq!(chat.stage(), &Stage::ConfirmingPlan);
}

#[test]
fn a_plan_from_the_list_before_a_new_search_shows_the_current_list() {
    let mut chat = chat_at(At::ChoosingPlan);
    let old_list = chat.conversation.menu;
    chat.steps([text("Korea 5 days"), korea_plans(2)]);

    let actions = chat.step(choice(&format!("plan:{old_list}:0")));

    assert!(
        !has_buttons(&actions),
        "no summary of a Japan plan: {actions:#?}"
    );
    assert_eq!(texts(&actions), [en("stale-choice")]);
    let (_, rows) = list(&actions);
    let menu = chat.conversation.menu;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, format!("plan:{menu}:0"));
    assert_eq!(rows[0].1, offer_for("Korea", 0).name);
    assert_eq!(chat.stage(), &Stage::ChoosingPlan);
}

#[test]
fn a_tap_when_nothing_is_offered_asks_for_the_destination() {
    for tap in ["plan:1:0", "buy:1", "other:1", "change:1", "", "nonsense"] {
        let mut chat = chat_at(At::AskedDestination);

        let actions = chat.step(choice(tap));

        assert_eq!(only_text(&actions), en("stale-choice-restart"), "{tap}");
        assert!(en("stale-choice-restart").contains("Where are you going"));
        assert_eq!(chat.stage(), &Stage::AskedDestination, "{tap}");
    }
}

#[test]
fn taps_while_the_esim_is_being_prepared_say_it_is_still_coming() {
    for at in [At::Ordering, At::Preparing] {
        let mut chat = chat_at(at);
        let stage = chat.stage().clone();
        let menu = chat.conversation.menu;

        for tap in [
            format!("buy:{menu}"),
            format!("other:{menu}"),
            format!("plan:{menu}:0"),
            format!("plan:{}:0", menu - 1),
        ] {
            let actions = chat.step(choice(&tap));

            assert_eq!(only_text(&actions), en("still-preparing"), "{at:?} {tap}");
            assert_eq!(chat.stage(), &stage, "{at:?} {tap}");
        }
    }
}

#[test]
fn a_summary_for_a_plan_number_not_in_the_list_is_not_shown() {
    let mut chat = chat_at(At::ChoosingPlan);

    let actions = chat.tap_plan(7);

    assert!(!has_buttons(&actions), "{actions:#?}");
    assert_eq!(texts(&actions), [en("stale-choice")]);
    assert!(has_list(&actions));
    assert_eq!(chat.conversation.chosen, None);
}

// Idempotency of Buy.

#[test]
fn buy_tapped_twice_on_one_summary_names_the_same_order() {
    let chat = chat_at(At::ConfirmingPlan);
    let buy = choice(&format!("buy:{}", chat.conversation.menu));

    // A redelivered tap is stepped from the same saved conversation.
    let (_, first) = step(chat.conversation.clone(), &buy, &context(chat.now));
    let (_, again) = step(chat.conversation.clone(), &buy, &context(chat.now + 5));

    assert_eq!(orders_placed(&first).len(), 1);
    assert_eq!(orders_placed(&first), orders_placed(&again));
}

#[test]
fn buy_again_after_the_supplier_was_unreachable_names_the_same_order() {
    let mut chat = chat_at(At::ConfirmingPlan);
    let first = chat.tap("buy");
    let order_id = chat.order_id();

    let actions = chat.step(Input::OrderUnavailable {
        order_id: order_id.clone(),
    });
    assert_eq!(only_text(&actions), en("order-unavailable"));
    let again = chat.tap("buy");

    assert_eq!(orders_placed(&first), orders_placed(&again));
    assert_eq!(orders_placed(&again)[0].0, order_id);
}

#[test]
fn a_second_buy_while_the_order_is_placed_does_not_order_again() {
    let mut chat = chat_at(At::ConfirmingPlan);
    chat.tap("buy");
    let order_id = chat.order_id();

    let actions = chat.tap("buy");

    assert!(orders_placed(&actions).is_empty());
    assert_eq!(only_text(&actions), en("still-preparing"));
    chat.step(Input::OrderPlaced {
        order_id: order_id.clone(),
    });
    chat.step(Input::OrderPlaced {
        order_id: order_id.clone(),
    });
    assert_eq!(chat.conversation.orders, [order_id]);
}

#[test]
fn a_new_summary_names_a_new_order() {
    let mut chat = chat_at(At::Delivered);
    let first = chat.conversation.orders[0].clone();
    chat.steps([text("Korea 5 days"), korea_plans(2)]);
    chat.tap_plan(0);

    let actions = chat.tap("buy");

    let [(order_id, package_code, _)] = orders_placed(&actions)[..] else {
        panic!("expected one order, got {actions:#?}");
    };
    assert_ne!(order_id, first);
    assert_eq!(package_code, offer_for("Korea", 0).package_code);
}

// A new destination while choosing.

#[test]
fn a_destination_typed_while_confirming_starts_a_new_search() {
    let mut chat = chat_at(At::ConfirmingPlan);
    let old_summary = chat.conversation.menu;

    let actions = chat.step(text("Korea, 5 days"));
    assert_eq!(
        actions,
        [Action::Search {
            text: "Korea, 5 days".to_owned()
        }]
    );
    let actions = chat.step(korea_plans(2));
    assert_eq!(list(&actions).1[0].1, offer_for("Korea", 0).name);
    let actions = chat.step(choice(&format!("buy:{old_summary}")));

    assert!(orders_placed(&actions).is_empty(), "{actions:#?}");
    assert_eq!(chat.stage(), &Stage::ChoosingPlan);
}

#[test]
fn other_plans_shows_the_list_again_and_change_asks_for_a_destination() {
    let mut chat = chat_at(At::ConfirmingPlan);

    let actions = chat.tap("other");
    assert_eq!(list(&actions).1.len(), 3);
    assert_eq!(chat.stage(), &Stage::ChoosingPlan);

    chat.tap_plan(0);
    let actions = chat.tap("change");
    assert_eq!(only_text(&actions), en("ask-destination"));
    assert_eq!(chat.stage(), &Stage::AskedDestination);
    assert!(chat.conversation.offers.is_empty());
}

// Commands in every stage.

#[test]
fn help_is_answered_in_every_stage() {
    for at in EVERY_STAGE {
        let mut chat = chat_at(at);
        let stage = chat.stage().clone();

        let actions = chat.step(text("help"));

        assert_eq!(only_text(&actions), en("help"), "{at:?}");
        assert_eq!(chat.stage(), &stage, "{at:?}");
    }
}

#[test]
fn menu_shows_three_buttons_in_every_stage() {
    for at in EVERY_STAGE {
        let mut chat = chat_at(at);
        let stage = chat.stage().clone();

        let actions = chat.step(text("Menu"));

        assert_eq!(actions.len(), 1, "{at:?}");
        let (body, shown) = buttons(&actions);
        assert_eq!(body, en("menu-body"));
        assert_eq!(
            ids(shown),
            ["menu:new", "menu:esims", "menu:help"],
            "{at:?}"
        );
        if at == At::WithAgent {
            assert_eq!(chat.stage(), &Stage::Start, "menu takes the bot back");
        } else {
            assert_eq!(chat.stage(), &stage, "{at:?}");
        }
    }
}

#[test]
fn the_menu_buttons_do_what_they_say() {
    let mut chat = chat_at(At::ChoosingPlan);

    let actions = chat.step(choice("menu:esims"));
    assert_eq!(
        actions,
        [Action::ListEsims {
            listing: Listing::Esims
        }]
    );
    let actions = chat.step(choice("menu:help"));
    assert_eq!(only_text(&actions), en("help"));
    assert_eq!(chat.stage(), &Stage::ChoosingPlan);

    let actions = chat.step(choice("menu:new"));
    assert_eq!(only_text(&actions), en("ask-destination"));
    assert_eq!(chat.stage(), &Stage::AskedDestination);
    assert!(chat.conversation.offers.is_empty());
}

#[test]
fn restart_and_cancel_forget_the_offers_in_every_stage() {
    for word in ["restart", "cancel", "Start over"] {
        for at in EVERY_STAGE {
            let mut chat = chat_at(at);
            let menu_before = chat.conversation.menu;
            let orders = chat.conversation.orders.clone();

            let actions = chat.step(text(word));

            assert_eq!(only_text(&actions), en("restarted"), "{word} at {at:?}");
            assert_eq!(chat.stage(), &Stage::AskedDestination, "{word} at {at:?}");
            assert!(chat.conversation.offers.is_empty());
            assert_eq!(chat.conversation.chosen, None);
            assert_eq!(chat.conversation.trip, None);
            assert_eq!(chat.conversation.orders, orders, "orders are kept");

            // Whatever was on screen before is now out of date.
            for tap in [
                format!("plan:{menu_before}:0"),
                format!("buy:{menu_before}"),
            ] {
                let actions = chat.step(choice(&tap));
                assert!(orders_placed(&actions).is_empty(), "{tap} at {at:?}");
                assert!(!has_buttons(&actions), "{tap} at {at:?}");
                assert_eq!(only_text(&actions), en("stale-choice-restart"));
            }
        }
    }
}

#[test]
fn my_esims_and_usage_ask_for_the_listing_in_every_stage() {
    for (word, listing) in [
        ("my esims", Listing::Esims),
        ("My eSIMs!", Listing::Esims),
        ("usage", Listing::Usage),
        ("data left", Listing::Usage),
    ] {
        for at in EVERY_STAGE {
            let mut chat = chat_at(at);
            let stage = chat.stage().clone();

            let actions = chat.step(text(word));

            assert_eq!(actions, [Action::ListEsims { listing }], "{word} at {at:?}");
            assert_eq!(chat.stage(), &stage);
        }
    }
}

#[test]
fn top_up_says_there_is_nothing_to_top_up_before_the_first_order() {
    for at in EVERY_STAGE {
        let mut chat = chat_at(at);
        let had_orders = !chat.conversation.orders.is_empty();

        let actions = chat.step(text("top up"));

        if had_orders {
            assert_eq!(
                actions,
                vec![Action::OfferTopUps { esim_tran_no: None }],
                "{at:?}"
            );
        } else {
            assert_eq!(only_text(&actions), en("top-up-none"), "{at:?}");
        }
    }
    assert_eq!(
        only_text(&chat_at(At::Start).step(text("top up"))),
        en("top-up-none")
    );
}

#[test]
fn agent_hands_off_in_every_stage() {
    for at in EVERY_STAGE {
        let mut chat = chat_at(at);

        let actions = chat.step(text("agent"));

        assert_eq!(
            actions,
            [
                Action::HandOff,
                Action::Send(Reply::Text {
                    body: en("handed-off")
                })
            ],
            "{at:?}"
        );
        assert_eq!(chat.stage(), &Stage::WithAgent, "{at:?}");
    }
}

#[test]
fn with_an_agent_the_bot_keeps_quiet_until_menu() {
    let mut chat = chat_at(At::WithAgent);

    let actions = chat.step(text("My eSIM does not connect in Osaka, can you check?"));
    assert_eq!(actions, []);
    assert_eq!(chat.stage(), &Stage::WithAgent);

    let actions = chat.step(text("hello?"));
    assert_eq!(only_text(&actions), en("with-agent"));
    assert_eq!(chat.stage(), &Stage::WithAgent);

    let actions = chat.step(text("menu"));
    assert!(has_buttons(&actions));
    assert_eq!(chat.stage(), &Stage::Start);

    let actions = chat.step(text("Japan 10 days"));
    assert_eq!(
        actions,
        [Action::Search {
            text: "Japan 10 days".to_owned()
        }]
    );
}

// Languages.

#[test]
fn a_greeting_answers_in_its_language() {
    for (greeting, language) in [
        ("Hi!", Language::En),
        ("Hola", Language::Es),
        ("¡Buenos días!", Language::Es),
        ("Olá", Language::Pt),
        ("Bonjour 👋", Language::Fr),
        ("Guten Tag", Language::De),
    ] {
        let mut chat = Chat::new();

        let actions = chat.step(text(greeting));

        assert_eq!(
            only_text(&actions),
            says(language, "greeting", &[]),
            "{greeting}"
        );
        assert_eq!(chat.conversation.language, language, "{greeting}");
    }
    assert_ne!(
        says(Language::Es, "greeting", &[]),
        en("greeting"),
        "the Spanish catalogue has its own greeting"
    );
}

#[test]
fn a_long_spanish_sentence_switches_to_spanish() {
    let mut chat = chat_at(At::AskedDestination);
    let sentence = "Hola, me voy de vacaciones a Tailandia quince días, qué plan me recomiendas?";

    let actions = chat.step(text(sentence));
    assert_eq!(
        actions,
        [Action::Search {
            text: sentence.to_owned()
        }]
    );
    assert_eq!(chat.conversation.language, Language::Es);

    let actions = chat.step(japan_plans(2));
    let button = actions.iter().find_map(|action| match action {
        Action::Send(Reply::List { button, .. }) => Some(button.clone()),
        _ => None,
    });
    assert_eq!(button, Some(says(Language::Es, "plans-button", &[])));
}

#[test]
fn everyday_spanish_sentences_switch_to_spanish() {
    for sentence in [
        // The sentence of words.rs's own test, which fails for the same reason.
        "Necesito un eSIM para viajar a Japón durante dos semanas",
        "Quiero una tarjeta eSIM para mi viaje a Italia la próxima semana",
        "Voy a viajar por Europa durante un mes y necesito internet en el móvil",
        "Buenas tardes, necesito un plan de datos para Estados Unidos por diez días",
        "¿Cuánto cuesta un eSIM para México? Me quedo tres semanas",
    ] {
        let mut chat = chat_at(At::AskedDestination);

        chat.step(text(sentence));

        assert_eq!(chat.conversation.language, Language::Es, "{sentence}");
    }
}

#[test]
fn francais_switches_to_french_for_good() {
    let mut chat = chat_at(At::AskedDestination);
    let english = "I need data for my trip to Japan and Korea for two weeks";
    assert_eq!(words::detect_language(english), Some(Language::En));

    let actions = chat.step(text("français"));
    assert_eq!(only_text(&actions), says(Language::Fr, "language-set", &[]));
    assert!(chat.conversation.language_chosen);

    chat.step(text(english));
    assert_eq!(chat.conversation.language, Language::Fr);
    let actions = chat.step(text("hi"));
    assert_eq!(only_text(&actions), says(Language::Fr, "greeting", &[]));
    let actions = chat.step(Input::Unreadable {
        kind: "image".to_owned(),
    });
    assert_eq!(
        only_text(&actions),
        says(Language::Fr, "unsupported-message", &[])
    );
}

#[test]
fn a_short_place_name_keeps_the_language() {
    for place in ["Japan 10 days", "Deutschland", "Portugal", "Paris 3 days"] {
        let mut chat = Chat::new();
        chat.step(text("Hola"));

        chat.step(text(place));

        assert_eq!(chat.conversation.language, Language::Es, "{place}");
    }
}

#[test]
fn commands_in_another_language_do_not_switch_the_language() {
    let mut chat = chat_at(At::AskedDestination);

    let actions = chat.step(text("ayuda"));

    assert_eq!(only_text(&actions), en("help"));
    assert_eq!(chat.conversation.language, Language::En);
}

// Inactivity.

#[test]
fn a_tap_after_a_long_silence_starts_fresh_without_acting() {
    let mut chat = chat_at(At::ChoosingPlan);
    let list_menu = chat.conversation.menu;
    chat.wait(31 * 60);

    let actions = chat.step(choice(&format!("plan:{list_menu}:0")));

    assert_eq!(only_text(&actions), en("timed-out"));
    assert_eq!(chat.stage(), &Stage::AskedDestination);
    assert!(chat.conversation.offers.is_empty());
    assert_eq!(chat.conversation.last_active, chat.now - 10);
}

#[test]
fn a_buy_after_a_long_silence_does_not_order() {
    let mut chat = chat_at(At::ConfirmingPlan);
    chat.wait(31 * 60);

    let actions = chat.tap("buy");

    assert!(orders_placed(&actions).is_empty());
    assert_eq!(only_text(&actions), en("timed-out"));
}

#[test]
fn a_text_after_a_long_silence_searches_afresh_and_keeps_the_orders() {
    let mut chat = chat_at(At::Delivered);
    chat.steps([text("Korea 5 days"), korea_plans(2)]);
    let orders = chat.conversation.orders.clone();
    assert_eq!(orders.len(), 1);
    chat.wait(31 * 60);

    let actions = chat.step(text("Thailand 2 weeks"));

    assert_eq!(
        actions,
        [Action::Search {
            text: "Thailand 2 weeks".to_owned()
        }]
    );
    assert!(chat.conversation.offers.is_empty());
    assert_eq!(chat.conversation.trip, None);
    assert_eq!(chat.conversation.orders, orders);
}

#[test]
fn a_silence_shorter_than_the_limit_resumes_where_it_was() {
    let mut chat = chat_at(At::ChoosingPlan);
    chat.wait(29 * 60);

    let actions = chat.tap_plan(0);

    assert!(has_buttons(&actions));
    assert_eq!(chat.stage(), &Stage::ConfirmingPlan);
}

#[test]
fn a_long_wait_for_the_esim_is_not_a_reason_to_start_over() {
    let mut chat = chat_at(At::Preparing);
    let stage = chat.stage().clone();
    chat.wait(2 * 3600);

    let actions = chat.tap("buy");

    assert_eq!(only_text(&actions), en("still-preparing"));
    assert_eq!(chat.stage(), &stage);
}

// Unreadable messages and the welcome.

#[test]
fn an_unreadable_message_gets_a_hint_never_silence() {
    for kind in ["image", "audio", "voice", "location", "sticker"] {
        for at in EVERY_STAGE.into_iter().filter(|at| *at != At::WithAgent) {
            let mut chat = chat_at(at);
            let stage = chat.stage().clone();

            let actions = chat.step(Input::Unreadable {
                kind: kind.to_owned(),
            });

            assert_eq!(
                only_text(&actions),
                en("unsupported-message"),
                "{kind} at {at:?}"
            );
            assert_eq!(chat.stage(), &stage);
        }
    }
}

#[test]
fn the_welcome_is_a_greeting() {
    let mut chat = Chat::new();

    let actions = chat.step(Input::Welcome);

    assert_eq!(only_text(&actions), en("greeting"));
    assert_eq!(chat.stage(), &Stage::AskedDestination);
}

// Search outcomes and limits.

#[test]
fn no_destination_in_a_first_message_introduces_the_bot() {
    let mut chat = Chat::new();
    chat.step(text("what is this?"));

    let actions = chat.step(Input::SearchDone(SearchOutcome::NoDestination));

    assert_eq!(only_text(&actions), en("greeting"));
    assert_eq!(chat.stage(), &Stage::AskedDestination);
}

#[test]
fn no_destination_later_asks_for_a_place() {
    for at in [At::AskedDestination, At::ChoosingPlan] {
        let mut chat = chat_at(at);
        let stage = chat.stage().clone();
        chat.step(text("cheapest one please"));

        let actions = chat.step(Input::SearchDone(SearchOutcome::NoDestination));

        assert_eq!(only_text(&actions), en("no-destination"), "{at:?}");
        assert_eq!(chat.stage(), &stage);
    }
}

#[test]
fn no_plans_names_the_destination_and_asks_again() {
    let mut chat = chat_at(At::ChoosingPlan);

    let actions = chat.step(Input::SearchDone(SearchOutcome::NoPlans {
        trip: trip("Atlantis", None, 1),
    }));

    let body = only_text(&actions);
    assert_eq!(
        body,
        says(
            Language::En,
            "no-plans",
            &[("destination", Arg::Text("Atlantis"))]
        )
    );
    assert!(body.contains("Atlantis"));
    assert_eq!(chat.stage(), &Stage::AskedDestination);
    assert!(chat.conversation.offers.is_empty());
}

#[test]
fn an_unavailable_catalogue_says_so_and_keeps_the_current_list() {
    let mut chat = chat_at(At::ChoosingPlan);
    chat.step(text("Korea"));

    let actions = chat.step(Input::SearchDone(SearchOutcome::Unavailable));

    assert_eq!(only_text(&actions), en("search-unavailable"));
    assert_eq!(chat.conversation.offers.len(), 3);
    assert!(has_buttons(&chat.tap_plan(0)));
}

#[test]
fn limits_are_explained() {
    let mut chat = chat_at(At::AskedDestination);
    let actions = chat.step(Input::LimitReached {
        limit: Limit::SearchesPerMinute,
        max: 10,
    });
    assert_eq!(only_text(&actions), en("limit-searches"));

    let mut chat = chat_at(At::Ordering);
    let actions = chat.step(Input::LimitReached {
        limit: Limit::OrdersPerDay,
        max: 5,
    });
    let body = only_text(&actions);
    assert_eq!(
        body,
        says(Language::En, "limit-orders", &[("limit", Arg::Number(5))])
    );
    assert!(body.contains("(5)"), "{body}");
    assert_eq!(chat.stage(), &Stage::ConfirmingPlan);
}

#[test]
fn a_refused_order_explains_why_and_lets_the_traveller_choose_again() {
    let mut chat = chat_at(At::Ordering);
    let order_id = chat.order_id();

    let actions = chat.step(Input::OrderRefused {
        order_id,
        reason: "out of stock".to_owned(),
    });

    assert_eq!(
        only_text(&actions),
        says(
            Language::En,
            "order-refused",
            &[("reason", Arg::Text("out of stock"))]
        )
    );
    assert_eq!(chat.stage(), &Stage::ConfirmingPlan);
    assert!(chat.conversation.orders.is_empty());
    assert_eq!(list(&chat.tap("other")).1.len(), 3);
}

// The list.

#[test]
fn the_list_shows_at_most_ten_plans() {
    let mut chat = chat_at(At::AskedDestination);
    chat.step(text("Japan"));

    let actions = chat.step(japan_plans(14));

    let (_, rows) = list(&actions);
    assert_eq!(rows.len(), MAX_OFFERS);
    assert_eq!(chat.conversation.offers.len(), MAX_OFFERS);
    let menu = chat.conversation.menu;
    assert_eq!(rows[9].0, format!("plan:{menu}:9"));
    assert!(
        chat.tap_plan(10)
            .iter()
            .all(|action| !matches!(action, Action::Send(Reply::Buttons { .. })))
    );
}

#[test]
fn plans_not_covering_a_trip_of_several_places_say_so() {
    let mut chat = chat_at(At::AskedDestination);
    let mut whole = offer(0);
    whole.covers = vec!["Japan".to_owned(), "South Korea".to_owned()];
    let mut partial = offer(1);
    partial.whole_trip = false;
    let two_places = trip("Japan, South Korea", Some(10), 2);

    let actions = chat.step(found(two_places, vec![whole, partial]));

    let (_, rows) = list(&actions);
    let note = says(
        Language::En,
        "plan-partial",
        &[("covered", Arg::Number(1)), ("wanted", Arg::Number(2))],
    );
    assert_eq!(note, "covers 1 of 2 places");
    assert!(!rows[0].2.contains("covers"), "{}", rows[0].2);
    assert!(rows[1].2.ends_with(&format!(" · {note}")), "{}", rows[1].2);

    let actions = chat.tap_plan(1);
    let (body, _) = buttons(&actions);
    assert!(body.contains(&en("summary-not-whole-trip")), "{body}");
    assert!(body.contains("Covers: Japan\n"), "{body}");
}

#[test]
fn a_trip_to_one_place_has_no_coverage_note() {
    let mut chat = chat_at(At::AskedDestination);
    let mut partial = offer(0);
    partial.whole_trip = false;

    let actions = chat.step(found(japan(), vec![partial]));

    assert!(!list(&actions).1[0].2.contains("covers"));
    let actions = chat.tap_plan(0);
    let (body, _) = buttons(&actions);
    assert!(!body.contains(&en("summary-not-whole-trip")), "{body}");
}

#[test]
fn the_summary_says_when_the_plan_starts() {
    let mut chat = chat_at(At::ChoosingPlan);

    let first_use = buttons(&chat.tap_plan(0)).0.to_owned();
    chat.tap("other");
    let actions = chat.tap_plan(2);
    let (install, _) = buttons(&actions);

    assert!(first_use.contains(&en("summary-starts-first-use")));
    assert!(install.contains(&en("summary-starts-install")));
}

// Listing eSIMs.

fn esim(
    plan: &str,
    state: EsimState,
    usage: Option<(&str, &str)>,
    expires: Option<&str>,
) -> EsimLine {
    EsimLine {
        plan: plan.to_owned(),
        state,
        left: usage.map(|(left, _)| left.to_owned()),
        total: usage.map(|(_, total)| total.to_owned()),
        expires: expires.map(str::to_owned),
    }
}

#[test]
fn my_esims_lists_one_line_per_esim() {
    let mut chat = chat_at(At::Delivered);

    let actions = chat.step(Input::EsimsListed {
        listing: Listing::Esims,
        esims: vec![
            esim("Japan 10GB", EsimState::Ready, None, None),
            esim("Korea 5GB", EsimState::Preparing, None, None),
            esim("Italy 3GB", EsimState::Failed, None, None),
            esim("Spain 1GB", EsimState::ToppedUp, None, None),
        ],
    });

    let body = only_text(&actions);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines,
        [
            en("esims-list").as_str(),
            "• Japan 10GB: ready to install",
            "• Korea 5GB: being prepared",
            "• Italy 3GB: not issued (nothing charged)",
            "• Spain 1GB: topped up",
        ]
    );
}

#[test]
fn usage_lists_what_is_left_of_each_esim() {
    let mut chat = chat_at(At::Delivered);

    let actions = chat.step(Input::EsimsListed {
        listing: Listing::Usage,
        esims: vec![
            esim(
                "Japan 10GB",
                EsimState::Ready,
                Some(("1.2 GB", "10 GB")),
                Some("2026-12-31"),
            ),
            esim("Korea 5GB", EsimState::Ready, Some(("5 GB", "5 GB")), None),
            esim("Italy 3GB", EsimState::Preparing, None, None),
        ],
    });

    let body = only_text(&actions);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines,
        [
            en("esims-list").as_str(),
            "• Japan 10GB: 1.2 GB of 10 GB left, until 2026-12-31",
            "• Korea 5GB: 5 GB of 5 GB left",
            "• Italy 3GB: no usage reported yet",
        ]
    );
}

#[test]
fn no_esims_is_said_plainly() {
    for listing in [Listing::Esims, Listing::Usage] {
        let mut chat = chat_at(At::AskedDestination);

        let actions = chat.step(Input::EsimsListed {
            listing,
            esims: Vec::new(),
        });

        assert_eq!(only_text(&actions), en("no-esims"), "{listing:?}");
    }
}

// Storage.

#[test]
fn a_conversation_survives_storage_unchanged() {
    for at in EVERY_STAGE {
        let chat = chat_at(at);

        let json = serde_json::to_string(&chat.conversation).unwrap();
        let back: Conversation = serde_json::from_str(&json).unwrap();

        assert_eq!(back, chat.conversation, "{at:?}");
    }
    let delivered = chat_at(At::Delivered).conversation;
    assert!(!delivered.orders.is_empty() && delivered.menu > 0 && !delivered.offers.is_empty());
}

#[test]
fn an_empty_record_reads_as_a_new_conversation() {
    let conversation: Conversation = serde_json::from_str("{}").unwrap();

    assert_eq!(conversation, Conversation::default());
}

#[test]
fn inputs_and_actions_survive_storage_unchanged() {
    let inputs = vec![
        text("Japan 10 days"),
        choice("plan:3:1"),
        Input::Unreadable {
            kind: "image".to_owned(),
        },
        Input::Welcome,
        japan_plans(2),
        Input::SearchDone(SearchOutcome::NoDestination),
        Input::SearchDone(SearchOutcome::NoPlans { trip: japan() }),
        Input::SearchDone(SearchOutcome::Unavailable),
        Input::OrderPlaced {
            order_id: "wa-abc123def0-3".to_owned(),
        },
        Input::OrderRefused {
            order_id: "wa-abc123def0-3".to_owned(),
            reason: "out of stock".to_owned(),
        },
        Input::OrderUnavailable {
            order_id: "wa-abc123def0-3".to_owned(),
        },
        esim_ready("wa-abc123def0-3"),
        Input::EsimsListed {
            listing: Listing::Usage,
            esims: vec![esim(
                "Japan",
                EsimState::Ready,
                Some(("1 GB", "3 GB")),
                Some("2026-01-01"),
            )],
        },
        Input::LimitReached {
            limit: Limit::OrdersPerDay,
            max: 5,
        },
    ];
    for input in &inputs {
        let json = serde_json::to_string(input).unwrap();
        let back: Input = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, input, "{json}");
    }

    let mut actions =
        chat_at(At::Delivered).steps([text("Japan"), japan_plans(2), text("agent"), text("usage")]);
    actions.extend([
        Action::PlaceOrder {
            order_id: "wa-abc123def0-3".to_owned(),
            package_code: "JA-1".to_owned(),
            period_days: Some(7),
            esim_tran_no: None,
        },
        Action::DeliverEsim {
            order_id: "wa-abc123def0-3".to_owned(),
            activation_code: ACTIVATION_CODE.to_owned(),
            caption: "ready".to_owned(),
        },
    ]);
    actions.extend(chat_at(At::ConfirmingPlan).step(text("menu")));
    for action in &actions {
        let json = serde_json::to_string(action).unwrap();
        let back: Action = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, action, "{json}");
    }
}

// Bugs found by these tests, left unfixed for review.

#[test]
fn a_traveller_answering_the_agent_after_a_long_silence_is_left_to_the_agent() {
    let mut chat = chat_at(At::WithAgent);
    // People take time to answer; the traveller replies to them 45 minutes later.
    chat.wait(45 * 60);

    let actions = chat.step(text("Thanks, it works now!"));

    assert_eq!(
        actions,
        [],
        "the bot must not answer a message meant for a person"
    );
    assert_eq!(chat.stage(), &Stage::WithAgent);
}

#[test]
fn a_photo_sent_while_a_person_answers_gets_no_bot_reply() {
    let mut chat = chat_at(At::WithAgent);

    let actions = chat.step(Input::Unreadable {
        kind: "image".to_owned(),
    });

    assert_eq!(
        actions,
        [],
        "a screenshot for the agent is not the bot's business"
    );
    assert_eq!(chat.stage(), &Stage::WithAgent);
}

#[test]
fn a_returning_customer_whose_conversation_was_forgotten_gets_a_new_order_id() {
    let buy_japan = |now: i64| {
        let mut chat = Chat::new();
        chat.now = now;
        chat.steps([text("hi"), text("Japan 10 days"), japan_plans(3)]);
        chat.tap_plan(1);
        let actions = chat.tap("buy");
        orders_placed(&actions)[0].0.to_owned()
    };

    let first_trip = buy_japan(NOW);
    // The stored conversation expires after 90 silent days; the customer comes back.
    let next_trip = buy_japan(NOW + 120 * 24 * 3600);

    assert_ne!(
        first_trip, next_trip,
        "the same id makes the order service return the first, long-expired eSIM"
    );
}

#[test]
fn an_esim_delivered_before_its_order_news_leaves_the_conversation_delivered() {
    let mut chat = chat_at(At::Ordering);
    let order_id = chat.order_id();
    // A retried turn can bring the order's news after the eSIM itself.
    let delivered = chat.step(esim_ready(&order_id));
    assert!(matches!(delivered[..], [Action::DeliverEsim { .. }]));

    chat.step(Input::OrderPlaced {
        order_id: order_id.clone(),
    });

    assert_ne!(chat.stage(), &Stage::Preparing { order_id });
    let actions = chat.step(choice("plan:0:0"));
    assert_ne!(texts(&actions), [en("still-preparing")]);
}

// Random conversations.

/// A small deterministic generator (splitmix64), so a failure replays exactly.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(u64::try_from(len).unwrap())).unwrap()
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }
}

const RANDOM_TEXTS: &[&str] = &[
    "hi",
    "Hola",
    "Bonjour",
    "Japan 10 days",
    "Korea and Japan, two weeks",
    "Necesito un eSIM para viajar a Japón durante dos semanas",
    "thanks",
    "",
    "   ",
    "?",
    "🇯🇵",
    "help",
    "menu",
    "restart",
    "cancel",
    "my esims",
    "usage",
    "top up",
    "agent",
    "français",
    "english",
    "language de",
];

fn random_offers(dice: &mut Dice) -> (Trip, Vec<Offer>) {
    let places = usize::try_from(dice.below(3) + 1).unwrap();
    let count = u32::try_from(dice.below(14) + 1).unwrap();
    let place = *dice.pick(&["Japan", "Korea", "Italy"]);
    let offers = (0..count)
        .map(|index| {
            let mut offer = offer_for(place, index);
            offer.whole_trip = dice.chance(60);
            offer.covers = (0..=dice.below(3)).map(|n| format!("Place {n}")).collect();
            offer
        })
        .collect();
    let days = dice
        .chance(70)
        .then(|| u32::try_from(dice.below(30)).unwrap());
    (trip(place, days, places), offers)
}

fn random_search_outcome(dice: &mut Dice) -> Input {
    match dice.below(10) {
        0..=5 => {
            let (trip, offers) = random_offers(dice);
            found(trip, offers)
        }
        6 => Input::SearchDone(SearchOutcome::NoDestination),
        7 => Input::SearchDone(SearchOutcome::NoPlans {
            trip: trip("Atlantis", None, 1),
        }),
        8 => Input::SearchDone(SearchOutcome::Unavailable),
        _ => Input::LimitReached {
            limit: Limit::SearchesPerMinute,
            max: 10,
        },
    }
}

fn random_order_outcome(dice: &mut Dice, order_id: &str) -> Input {
    let order_id = order_id.to_owned();
    match dice.below(10) {
        0..=5 => Input::OrderPlaced { order_id },
        6 => Input::OrderRefused {
            order_id,
            reason: "out of stock".to_owned(),
        },
        7 | 8 => Input::OrderUnavailable { order_id },
        _ => Input::LimitReached {
            limit: Limit::OrdersPerDay,
            max: 5,
        },
    }
}

fn random_choice(dice: &mut Dice, conversation: &Conversation) -> Input {
    let current = conversation.menu;
    let menu = match dice.below(6) {
        0..=2 => current,
        3 => current.wrapping_sub(1),
        4 => current.wrapping_sub(u32::try_from(dice.below(5)).unwrap() + 2),
        _ => u32::try_from(dice.below(u64::from(u32::MAX))).unwrap(),
    };
    let kind = *dice.pick(&[
        "plan", "plan", "plan", "buy", "buy", "buy", "other", "change", "menu", "bogus", "",
    ]);
    let id = match kind {
        "plan" => format!("plan:{menu}:{}", dice.below(12)),
        "menu" => format!("menu:{}", dice.pick(&["new", "esims", "help", "x"])),
        "" => String::new(),
        kind => format!("{kind}:{menu}"),
    };
    choice(&id)
}

/// What a traveller following the flow would do next, where the stage suggests it.
fn sensible_input(dice: &mut Dice, conversation: &Conversation) -> Option<Input> {
    let menu = conversation.menu;
    match conversation.stage {
        Stage::Start | Stage::AskedDestination => Some(text("Japan 10 days")),
        Stage::ChoosingPlan => {
            let index = dice.index(conversation.offers.len().max(1));
            Some(choice(&format!("plan:{menu}:{index}")))
        }
        Stage::ConfirmingPlan => Some(choice(&format!("buy:{menu}"))),
        _ => None,
    }
}

fn random_input(dice: &mut Dice, conversation: &Conversation, order_ids: &[String]) -> Input {
    if dice.chance(35)
        && let Some(input) = sensible_input(dice, conversation)
    {
        return input;
    }
    let some_order = |dice: &mut Dice| {
        if order_ids.is_empty() || dice.chance(10) {
            format!("wa-{TOKEN}-{}", dice.below(50))
        } else {
            dice.pick(order_ids).clone()
        }
    };
    match dice.below(20) {
        0..=5 => text(dice.pick::<&str>(RANDOM_TEXTS)),
        6..=11 => random_choice(dice, conversation),
        12 => Input::Unreadable {
            kind: (*dice.pick(&["image", "audio", "location"])).to_owned(),
        },
        13 => Input::Welcome,
        14 => random_search_outcome(dice),
        15 => {
            let order_id = some_order(dice);
            random_order_outcome(dice, &order_id)
        }
        16 | 17 => esim_ready(&some_order(dice)),
        _ => Input::EsimsListed {
            listing: *dice.pick(&[Listing::Esims, Listing::Usage]),
            esims: (0..dice.below(3))
                .map(|_| esim("Japan", EsimState::Ready, Some(("1 GB", "3 GB")), None))
                .collect(),
        },
    }
}

/// The menu number a shown choice id carries, if it carries one.
fn menu_of(id: &str) -> Option<&str> {
    let mut parts = id.split(':');
    match parts.next() {
        Some("menu") | None => None,
        Some(_) => parts.next(),
    }
}

/// Checks one step of a random conversation; `delivered` collects the orders sent so far.
fn check_step(
    before: &Conversation,
    input: &Input,
    after: &Conversation,
    actions: &[Action],
    delivered: &mut Vec<String>,
    trace: &str,
) {
    let from_traveller = matches!(
        input,
        Input::Text { .. } | Input::Choice { .. } | Input::Unreadable { .. } | Input::Welcome
    );
    if from_traveller && before.stage != Stage::WithAgent {
        assert!(!actions.is_empty(), "silence\n{trace}");
    }

    let orders = orders_placed(actions);
    assert!(orders.len() <= 1, "{orders:?}\n{trace}");
    if let Some((order_id, package_code, period_days)) = orders.first() {
        assert_eq!(
            input,
            &choice(&format!("buy:{}", before.menu)),
            "an order without its Buy\n{trace}"
        );
        assert_eq!(before.stage, Stage::ConfirmingPlan, "{trace}");
        let chosen = &before.offers[before.chosen.expect("a plan was chosen")];
        assert_eq!(*package_code, chosen.package_code, "{trace}");
        assert_eq!(*period_days, chosen.period_days, "{trace}");
        assert_eq!(
            *order_id,
            format!("wa-{TOKEN}-{}-{}", before.chosen_at, before.menu),
            "{trace}"
        );
        assert_eq!(
            after.stage,
            Stage::Ordering {
                order_id: (*order_id).to_owned()
            },
            "{trace}"
        );
    }

    for action in actions {
        match action {
            Action::Send(Reply::Text { body }) => {
                assert!(body.contains(' ') && !body.contains('{'), "{body}\n{trace}");
            }
            Action::Send(Reply::List { rows, .. }) => {
                assert!(!rows.is_empty() && rows.len() <= MAX_OFFERS, "{trace}");
                for (index, (id, _, _)) in rows.iter().enumerate() {
                    assert_eq!(id, &format!("plan:{}:{index}", after.menu), "{trace}");
                }
            }
            Action::Send(Reply::Buttons { buttons, .. }) => {
                for (id, _) in buttons {
                    if let Some(menu) = menu_of(id) {
                        assert_eq!(menu, after.menu.to_string(), "stale on arrival\n{trace}");
                    }
                }
            }
            // The conversation remembers the last 20 deliveries; beyond that it may forget.
            Action::DeliverEsim { order_id, .. } if delivered.len() < 20 => {
                assert!(
                    !delivered.contains(order_id),
                    "{order_id} sent twice\n{trace}"
                );
                delivered.push(order_id.clone());
            }
            Action::Send(Reply::Template { params, .. }) => {
                assert!(params.iter().all(|param| !param.is_empty()), "{trace}");
            }
            Action::DeliverEsim { .. }
            | Action::Search { .. }
            | Action::PlaceOrder { .. }
            | Action::OfferTopUps { .. }
            | Action::ListEsims { .. }
            | Action::HandOff => {}
        }
    }

    assert!(after.offers.len() <= MAX_OFFERS, "{trace}");
    assert!(
        after.orders.len() <= 20 && after.delivered.len() <= 20,
        "{trace}"
    );
    if let Some(chosen) = after.chosen
        && after.stage == Stage::ConfirmingPlan
    {
        assert!(chosen < after.offers.len(), "{trace}");
    }
}

#[test]
fn random_conversations_never_panic_never_go_silent_and_only_buy_on_buy() {
    let mut dice = Dice(0x5EED_B140);
    let mut orders = 0;
    let mut deliveries = 0;
    for sequence in 0..2_000 {
        let mut conversation = Conversation::default();
        let mut now = NOW;
        let mut follow_ups: Vec<Input> = Vec::new();
        let mut order_ids: Vec<String> = Vec::new();
        let mut delivered: Vec<String> = Vec::new();
        let mut trace = format!("sequence {sequence}:");

        for _ in 0..=dice.below(40) {
            let input = if !follow_ups.is_empty() && dice.chance(70) {
                let index = dice.index(follow_ups.len());
                follow_ups.remove(index)
            } else {
                random_input(&mut dice, &conversation, &order_ids)
            };
            now += if dice.chance(5) {
                i64::try_from(dice.below(7200)).unwrap() + IDLE_RESTART_SECS
            } else {
                i64::try_from(dice.below(300)).unwrap() + 1
            };
            trace.push_str(&format!("\n  {input:?} at {:?}", conversation.stage));

            let (next, actions) = step(conversation.clone(), &input, &context(now));

            check_step(
                &conversation,
                &input,
                &next,
                &actions,
                &mut delivered,
                &trace,
            );
            // The executor's answers to the actions come back later, among other inputs.
            for action in &actions {
                match action {
                    Action::Search { .. } => follow_ups.push(random_search_outcome(&mut dice)),
                    Action::PlaceOrder { order_id, .. } => {
                        orders += 1;
                        order_ids.push(order_id.clone());
                        follow_ups.push(random_order_outcome(&mut dice, order_id));
                        follow_ups.push(esim_ready(order_id));
                    }
                    Action::ListEsims { listing } => follow_ups.push(Input::EsimsListed {
                        listing: *listing,
                        esims: Vec::new(),
                    }),
                    Action::DeliverEsim { .. } => deliveries += 1,
                    Action::OfferTopUps { .. } => follow_ups.push(Input::TopUpOffers {
                        esim_tran_no: Some("T1".to_owned()),
                        plan: offer(1).name,
                        offers: vec![offer(1), offer(2)],
                    }),
                    Action::Send(_) | Action::HandOff => {}
                }
            }
            conversation = next;
        }

        let json = serde_json::to_string(&conversation).unwrap();
        let back: Conversation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, conversation, "{trace}");
    }
    // The properties above mean something only if orders and deliveries happened.
    assert!(orders > 1_000, "only {orders} orders");
    assert!(deliveries > 1_000, "only {deliveries} deliveries");
}

#[test]
fn a_summary_button_typed_by_its_words_or_place_acts_as_the_tap() {
    for typed in ["Buy", "buy!", " BUY ", "1"] {
        let mut chat = chat_at(At::ConfirmingPlan);
        let actions = chat.step(text(typed));
        assert_eq!(orders_placed(&actions).len(), 1, "{typed:?}: {actions:#?}");
    }

    for typed in ["Comprar", "buy"] {
        let mut chat = chat_at(At::ConfirmingPlan);
        chat.conversation.language = Language::Es;
        let actions = chat.step(text(typed));
        assert_eq!(orders_placed(&actions).len(), 1, "{typed:?}: {actions:#?}");
    }

    let mut chat = chat_at(At::ConfirmingPlan);
    let actions = chat.step(text("2"));
    assert!(orders_placed(&actions).is_empty());
    assert!(
        has_list(&actions),
        "the second button shows the plans: {actions:#?}"
    );
    assert_eq!(chat.stage(), &Stage::ChoosingPlan);

    let mut chat = chat_at(At::ConfirmingPlan);
    let actions = chat.step(text("9"));
    assert!(orders_placed(&actions).is_empty(), "{actions:#?}");
}

#[test]
fn a_typed_row_number_picks_that_plan_and_a_wrong_one_is_explained() {
    let mut chat = chat_at(At::ChoosingPlan);
    let offers = chat.conversation.offers.clone();

    let actions = chat.step(text("2"));
    assert_eq!(chat.conversation.chosen, Some(1));
    assert!(
        matches!(actions.as_slice(), [Action::Send(Reply::Buttons { body, .. })] if body.contains(&offers[1].name))
    );

    let mut chat = chat_at(At::ChoosingPlan);
    let actions = chat.step(text("99"));
    let count = i64::try_from(offers.len()).unwrap();
    assert_eq!(
        only_text(&actions),
        says(
            Language::En,
            "pick-a-number",
            &[("count", Arg::Number(count))]
        )
    );
    assert_eq!(chat.stage(), &Stage::ChoosingPlan);
}

#[test]
fn a_trip_length_sent_alone_refines_the_previous_destination() {
    let mut chat = chat_at(At::ChoosingPlan);
    let place = chat.conversation.trip.clone().unwrap().query;

    let actions = chat.step(Input::SearchDone(SearchOutcome::DetailsOnly {
        text: "10 days".to_owned(),
    }));
    assert_eq!(
        actions,
        [Action::Search {
            text: format!("{place} 10 days")
        }]
    );

    let mut fresh = chat_at(At::AskedDestination);
    let actions = fresh.step(Input::SearchDone(SearchOutcome::DetailsOnly {
        text: "10 days".to_owned(),
    }));
    assert_eq!(
        only_text(&actions),
        says(Language::En, "no-destination", &[])
    );
}

// Payment before the order, delivery outside the 24-hour window, care and top-ups.

fn checkout_started(order_id: &str) -> Input {
    Input::CheckoutStarted {
        order_id: order_id.to_owned(),
        url: "https://checkout.example/cs_test_1".to_owned(),
    }
}

fn templates(actions: &[Action]) -> Vec<(TemplateKind, &[String])> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Send(Reply::Template { template, params }) => {
                Some((*template, params.as_slice()))
            }
            _ => None,
        })
        .collect()
}

fn delivered_orders(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::DeliverEsim { order_id, .. } => Some(order_id.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_paid_order_waits_for_the_payment_then_is_prepared_then_delivered() {
    let mut chat = chat_at(At::Ordering);
    let order_id = chat.order_id();

    let link = chat.step(checkout_started(&order_id));
    assert_eq!(
        chat.stage(),
        &Stage::AwaitingPayment {
            order_id: order_id.clone()
        }
    );
    assert!(only_text(&link).contains("https://checkout.example/cs_test_1"));
    assert!(chat.conversation.orders.contains(&order_id));

    // An old Buy tapped while the link is open orders nothing.
    let stale = chat.step(choice("buy:1"));
    assert_eq!(only_text(&stale), en("still-awaiting-payment"));

    let paid = chat.step(Input::PaymentConfirmed {
        order_id: order_id.clone(),
    });
    assert_eq!(
        chat.stage(),
        &Stage::Preparing {
            order_id: order_id.clone()
        }
    );
    assert!(only_text(&paid).starts_with("Payment received"));

    let ready = chat.step(esim_ready(&order_id));
    assert_eq!(delivered_orders(&ready), vec![order_id.as_str()]);
    assert_eq!(chat.stage(), &Stage::Delivered);
}

#[test]
fn an_expired_payment_link_offers_the_plan_again_under_a_new_order() {
    let mut chat = chat_at(At::Ordering);
    let first = chat.order_id();
    chat.step(checkout_started(&first));
    chat.now += 3600;

    let expired = chat.step(Input::CheckoutExpired {
        order_id: first.clone(),
        why: PaymentProblem::LinkExpired,
    });

    assert_eq!(texts(&expired), vec![en("checkout-expired")]);
    let (_, shown) = buttons(&expired);
    assert!(shown[0].0.starts_with("buy:"));
    assert_eq!(chat.stage(), &Stage::ConfirmingPlan);
    let again = chat.tap("buy");
    let placed = orders_placed(&again);
    assert_eq!(placed.len(), 1);
    assert_ne!(placed[0].0, first, "a new payment page needs a new order");
}

#[test]
fn news_of_an_order_the_traveller_moved_on_from_does_not_move_the_conversation() {
    let mut chat = chat_at(At::Ordering);
    let order_id = chat.order_id();
    chat.step(checkout_started(&order_id));
    chat.steps([text("Korea 5 days"), korea_plans(2)]);

    let expired = chat.step(Input::CheckoutExpired {
        order_id: order_id.clone(),
        why: PaymentProblem::LinkExpired,
    });

    assert_eq!(only_text(&expired), en("checkout-expired"));
    assert_eq!(chat.stage(), &Stage::ChoosingPlan);
}

#[test]
fn a_payment_that_came_to_nothing_is_told_as_it_happened() {
    for (why, id) in [
        (PaymentProblem::SupplierRefused, "paid-but-failed"),
        (PaymentProblem::WrongAmount, "paid-wrong-amount"),
        (PaymentProblem::PaidLate, "paid-late"),
    ] {
        let mut chat = chat_at(At::Ordering);
        let order_id = chat.order_id();
        chat.steps([
            checkout_started(&order_id),
            Input::PaymentConfirmed {
                order_id: order_id.clone(),
            },
        ]);

        let failed = chat.step(Input::PaidButFailed {
            order_id: order_id.clone(),
            why,
        });

        let short = only_text(&failed).to_owned();
        assert!(short.contains("refund"), "{why:?}: {short}");
        assert!(
            short.starts_with(&says(Language::En, id, &[("order", Arg::Text("X"))])[..12]),
            "{why:?}: {short}"
        );
        assert_eq!(chat.stage(), &Stage::AskedDestination);
    }

    let mut chat = chat_at(At::Ordering);
    let order_id = chat.order_id();
    chat.step(checkout_started(&order_id));
    let declined = chat.step(Input::CheckoutExpired {
        order_id,
        why: PaymentProblem::PaymentFailed,
    });
    assert_eq!(texts(&declined), vec![en("payment-failed")]);
}

#[test]
fn customers_who_cannot_pay_in_chat_or_whose_payment_page_failed_may_try_again() {
    for (input, id) in [
        (
            Input::PurchaseClosed {
                order_id: String::new(),
            },
            "purchase-closed",
        ),
        (
            Input::CheckoutFailed {
                order_id: String::new(),
            },
            "checkout-unavailable",
        ),
    ] {
        let mut chat = chat_at(At::Ordering);
        let actions = chat.step(input);
        assert_eq!(only_text(&actions), en(id));
        assert_eq!(chat.stage(), &Stage::ConfirmingPlan);
    }
}

#[test]
fn an_esim_ready_outside_the_window_sends_a_template_and_follows_the_next_message() {
    let mut chat = chat_at(At::Preparing);
    let order_id = chat.order_id();
    let mut ready = esim_ready(&order_id);
    if let Input::EsimReady { reachable, .. } = &mut ready {
        *reachable = false;
    }

    let first = chat.step(ready.clone());
    let repeated = chat.step(ready);

    assert_eq!(
        templates(&first),
        vec![(TemplateKind::EsimReady, &[offer(1).name][..])]
    );
    assert!(delivered_orders(&first).is_empty());
    assert!(repeated.is_empty(), "{repeated:#?}");

    let answer = chat.step(text("hello?"));
    assert_eq!(delivered_orders(&answer), vec![order_id.as_str()]);
    assert!(
        matches!(answer[0], Action::DeliverEsim { .. }),
        "the eSIM comes first"
    );
    let later = chat.step(text("thanks"));
    assert!(delivered_orders(&later).is_empty());
    assert!(chat.step(esim_ready(&order_id)).is_empty(), "never twice");
}

#[test]
fn connected_is_said_once_per_esim() {
    let mut chat = chat_at(At::Delivered);
    let connected = Input::Connected {
        esim_tran_no: "T1".to_owned(),
        plan: "Japan 1GB".to_owned(),
    };

    let first = chat.step(connected.clone());
    let again = chat.step(connected);

    assert_eq!(
        only_text(&first),
        says(
            Language::En,
            "esim-connected",
            &[("plan", Arg::Text("Japan 1GB"))]
        )
    );
    assert!(again.is_empty());
}

#[test]
fn low_data_and_expiry_offer_a_top_up_button_or_a_template_outside_the_window() {
    let low = |reachable| Input::DataLow {
        esim_tran_no: "T1".to_owned(),
        plan: "Japan 1GB".to_owned(),
        left: "100 MB".to_owned(),
        reachable,
    };
    let expiring = |reachable| Input::Expiring {
        esim_tran_no: "T1".to_owned(),
        plan: "Japan 1GB".to_owned(),
        days_left: 2,
        reachable,
    };
    for (open, closed, template, param) in [
        (low(true), low(false), TemplateKind::DataLow, "100 MB"),
        (expiring(true), expiring(false), TemplateKind::Expiring, "2"),
    ] {
        let mut chat = chat_at(At::Delivered);
        let actions = chat.step(open);
        let (body, shown) = buttons(&actions);
        assert!(body.contains("Japan 1GB"), "{body}");
        assert_eq!(shown[0].0, "topup:T1");

        let actions = chat.step(closed);
        let sent = templates(&actions);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, template);
        assert_eq!(sent[0].1, &["Japan 1GB".to_owned(), param.to_owned()][..]);
    }
}

#[test]
fn a_top_up_is_chosen_from_the_profiles_plans_and_bought_for_that_profile() {
    let mut chat = chat_at(At::Delivered);

    let asked = chat.step(choice("topup:T1"));
    assert_eq!(
        asked,
        vec![Action::OfferTopUps {
            esim_tran_no: Some("T1".to_owned())
        }]
    );
    let listed = chat.step(Input::TopUpOffers {
        esim_tran_no: Some("T1".to_owned()),
        plan: "Japan 1GB".to_owned(),
        offers: vec![offer(0), offer(2)],
    });
    let (body, rows) = list(&listed);
    assert_eq!(
        body,
        says(
            Language::En,
            "top-up-body",
            &[("plan", Arg::Text("Japan 1GB"))]
        )
    );
    assert_eq!(rows.len(), 2);

    let summary = chat.tap_plan(1);
    let (body, _) = buttons(&summary);
    assert!(body.contains(&en("summary-top-up")), "{body}");
    let bought = chat.tap("buy");
    let esims: Vec<_> = bought
        .iter()
        .filter_map(|action| match action {
            Action::PlaceOrder { esim_tran_no, .. } => Some(esim_tran_no.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(esims, vec![Some("T1".to_owned())]);

    let order_id = chat.order_id();
    let done = chat.step(Input::TopUpApplied {
        order_id,
        plan: offer(2).name,
    });
    assert!(only_text(&done).contains(&offer(2).name));

    // A new search afterwards buys new eSIMs again, not top-ups.
    chat.steps([text("Korea"), korea_plans(2)]);
    chat.tap_plan(0);
    let new_esim = chat.tap("buy");
    assert!(new_esim.iter().any(|action| matches!(
        action,
        Action::PlaceOrder {
            esim_tran_no: None,
            ..
        }
    )));
}

#[test]
fn a_top_up_with_no_esim_or_no_plans_says_so() {
    let mut chat = chat_at(At::Delivered);
    let none = chat.step(Input::TopUpOffers {
        esim_tran_no: None,
        plan: String::new(),
        offers: Vec::new(),
    });
    let empty = chat.step(Input::TopUpOffers {
        esim_tran_no: Some("T1".to_owned()),
        plan: "Japan 1GB".to_owned(),
        offers: Vec::new(),
    });

    assert_eq!(only_text(&none), en("top-up-none"));
    assert_eq!(
        only_text(&empty),
        says(
            Language::En,
            "top-up-no-plans",
            &[("plan", Arg::Text("Japan 1GB"))]
        )
    );
}

#[test]
fn a_release_brings_the_bot_back_only_to_a_conversation_with_a_person() {
    let mut chat = chat_at(At::WithAgent);
    assert!(
        chat.step(text("where is my esim")).is_empty(),
        "quiet with a person"
    );

    let released = chat.step(Input::Released);

    assert_eq!(only_text(&released), en("released"));
    assert_eq!(chat.stage(), &Stage::AskedDestination);
    assert!(chat.step(Input::Released).is_empty());
}
