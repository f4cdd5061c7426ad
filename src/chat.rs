//! `bino chat`: the WhatsApp bot in a terminal.
//!
//! The same conversation and executor as on WhatsApp, with the sandbox supplier (unless
//! configured otherwise) and the in-memory store (or Redis when `BINO_REDIS_URL` is set).
//! Lists show as numbered options and buttons as choices; typing a number (or a button's
//! title) picks it. The eSIM's QR code is drawn with Unicode blocks and saved as a PNG.
//! Order news (the eSIM being ready) comes through the same workers as in production, so
//! it appears by itself a moment after the order.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::bot::channel::{Channel, ChannelError};
use crate::bot::{Input, Stage};
use crate::config::{PaymentsKind, Settings, SupplierKind};
use crate::orders::{OrderKind, OrderStatus};
use crate::store::{MemoryStore, RedisStore, SharedStore};
use crate::whatsapp::Identity;
use crate::whatsapp::message::Outbound;

/// The chat's customer: one traveller at this terminal.
const CUSTOMER: &str = "terminal";
/// After a script's last line, how long to wait for an order's eSIM to arrive.
const DELIVERY_WAIT: Duration = Duration::from_secs(60);

/// Options for `bino chat`.
pub struct ChatOptions {
    /// Lines to type, one message each, instead of reading the keyboard.
    pub script: Option<PathBuf>,
    /// Where QR code images are saved.
    pub qr_dir: PathBuf,
}

/// Runs the chat until the input ends (or, with a script, until the last line's answers
/// and any eSIM being prepared have arrived).
pub async fn run(settings: Settings, options: ChatOptions) -> anyhow::Result<()> {
    let store: SharedStore = match &settings.redis_url {
        Some(url) => Arc::new(
            RedisStore::connect(
                secrecy::ExposeSecret::expose_secret(url),
                &settings.redis_prefix,
            )
            .await
            .context("could not connect to Redis (BINO_REDIS_URL)")?,
        ),
        None => Arc::new(MemoryStore::new()),
    };
    if let Err(error) = std::fs::create_dir_all(&options.qr_dir) {
        eprintln!(
            "bino: QR codes cannot be saved in {} ({error}); they are still drawn here",
            options.qr_dir.display()
        );
    }
    let terminal = Arc::new(Terminal::new(options.qr_dir.clone()));
    let app = App::build_with(settings, store, Some(terminal.clone())).await?;
    let shutdown = CancellationToken::new();
    let mut workers = app.spawn_workers(&shutdown);

    let charges = if app.settings.payments == PaymentsKind::Stripe {
        "payments go through Stripe"
    } else if app.settings.supplier == SupplierKind::Sandbox {
        "sandbox: nothing is charged"
    } else {
        "orders are placed with the live supplier"
    };
    println!("Chatting with Bino ({charges}). Type a message; Ctrl-D to leave.");
    let identity = Identity {
        user_id: Some(CUSTOMER.to_owned()),
        ..Identity::default()
    };
    let lines: Vec<String> = match &options.script {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("could not read {}", path.display()))?
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    };

    let mut count = 0u64;
    if options.script.is_some() {
        for line in lines {
            println!("you> {line}");
            count += 1;
            say(&app, terminal.as_ref(), &identity, count, &line).await?;
        }
        wait_for_delivery(&app).await;
    } else {
        let mut input = BufReader::new(tokio::io::stdin()).lines();
        prompt();
        while let Some(line) = input.next_line().await? {
            let line = line.trim();
            if matches!(line, "/quit" | "/exit") {
                break;
            }
            if !line.is_empty() {
                count += 1;
                say(&app, terminal.as_ref(), &identity, count, line).await?;
            }
            prompt();
        }
        // Input piped in ends before the eSIM arrives; wait for it as a script does.
        wait_for_delivery(&app).await;
    }

    shutdown.cancel();
    while workers.join_next().await.is_some() {}
    Ok(())
}

fn prompt() {
    print!("you> ");
    let _ = std::io::stdout().flush();
}

/// One typed line, as the traveller's next message: a pick of a shown option when it names
/// one, text otherwise.
async fn say(
    app: &App,
    terminal: &Terminal,
    identity: &Identity,
    count: u64,
    line: &str,
) -> anyhow::Result<()> {
    let input = match terminal.pick(line) {
        Some(id) => Input::Choice { id },
        None => Input::Text {
            body: line.to_owned(),
        },
    };
    let id = format!("chat-{}-{count}", std::process::id());
    app.bot
        .run(CUSTOMER, Some(identity), &id, input)
        .await
        .map_err(|error| anyhow::anyhow!("the bot failed: {error}"))
}

/// Waits while an eSIM is on its way, so a script ends with it delivered, whatever was
/// typed after Buy.
async fn wait_for_delivery(app: &App) {
    let deadline = tokio::time::Instant::now() + DELIVERY_WAIT;
    while tokio::time::Instant::now() < deadline {
        if !esim_on_its_way(app).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("(the eSIM did not arrive within {DELIVERY_WAIT:?})");
}

/// Whether the traveller's latest order is placed (or being placed) and its eSIM not yet
/// sent. An order waiting for a payment is not on its way: nothing pays it here.
async fn esim_on_its_way(app: &App) -> bool {
    let Some(conversation) = app.bot.conversation(CUSTOMER).await.ok().flatten() else {
        return false;
    };
    if matches!(conversation.stage, Stage::Ordering { .. }) {
        return true;
    }
    let Some(order_id) = conversation.orders.last() else {
        return false;
    };
    if conversation.delivered.contains(order_id) {
        return false;
    }
    app.orders
        .get(&crate::bot::order_owner(CUSTOMER), order_id)
        .await
        .is_ok_and(|order| {
            order.kind == OrderKind::NewEsims
                && matches!(
                    order.status,
                    OrderStatus::Pending | OrderStatus::Paid | OrderStatus::Submitted
                )
        })
}

/// Prints the bot's messages and remembers the options last shown.
pub struct Terminal {
    /// (id, title) of the options of the last list or buttons, in the order shown.
    options: Mutex<Vec<(String, String)>>,
    qr_dir: PathBuf,
    qr_count: Mutex<u32>,
}

impl Terminal {
    pub fn new(qr_dir: PathBuf) -> Self {
        Terminal {
            options: Mutex::new(Vec::new()),
            qr_dir,
            qr_count: Mutex::new(0),
        }
    }

    /// The id of the option `line` picks: its number, or its title.
    fn pick(&self, line: &str) -> Option<String> {
        let options = self.options.lock().unwrap_or_else(PoisonError::into_inner);
        if let Ok(number) = line.trim().trim_end_matches('.').parse::<usize>() {
            return number
                .checked_sub(1)
                .and_then(|index| options.get(index))
                .map(|(id, _)| id.clone());
        }
        options
            .iter()
            .find(|(_, title)| title.eq_ignore_ascii_case(line.trim()))
            .map(|(id, _)| id.clone())
    }

    fn show(&self, message: &Outbound) {
        let mut shown = Vec::new();
        let mut out = String::new();
        match message {
            Outbound::Text(text) => out.push_str(text.body()),
            Outbound::List(list) => {
                out.push_str(list.body());
                for section in list.sections() {
                    if let Some(title) = section.title() {
                        out.push_str(&format!("\n  {title}"));
                    }
                    for row in section.rows() {
                        shown.push((row.id().to_owned(), row.title().to_owned()));
                        out.push_str(&format!("\n  {}. {}", shown.len(), row.title()));
                        if let Some(description) = row.description_text() {
                            out.push_str(&format!(" ({description})"));
                        }
                    }
                }
                if let Some(footer) = list.footer() {
                    out.push_str(&format!("\n  {footer}"));
                }
                out.push_str("\n  (type a number)");
            }
            Outbound::Buttons(buttons) => {
                out.push_str(buttons.body());
                out.push('\n');
                for button in buttons.buttons() {
                    shown.push((button.id().to_owned(), button.title().to_owned()));
                    out.push_str(&format!("  [{}] {}", shown.len(), button.title()));
                }
            }
            Outbound::Image(image) => {
                out.push_str(image.caption().unwrap_or_default());
            }
            Outbound::Template(_) => out.push_str("(a template message)"),
        }
        if !shown.is_empty() {
            *self.options.lock().unwrap_or_else(PoisonError::into_inner) = shown;
        }
        println!("\nbino> {}\n", out.replace('\n', "\n      "));
    }

    fn save_png(&self, png: &[u8]) -> std::io::Result<PathBuf> {
        let mut count = self.qr_count.lock().unwrap_or_else(PoisonError::into_inner);
        *count += 1;
        let path = self
            .qr_dir
            .join(format!("bino-esim-{}-{}.png", std::process::id(), *count));
        std::fs::write(&path, png)?;
        Ok(path)
    }
}

#[async_trait]
impl Channel for Terminal {
    async fn send(
        &self,
        _customer: &str,
        _to: &Identity,
        message: &Outbound,
        _purpose: &str,
    ) -> Result<(), ChannelError> {
        self.show(message);
        Ok(())
    }

    async fn send_qr(
        &self,
        _customer: &str,
        _to: &Identity,
        activation_code: &str,
        caption: &str,
        _purpose: &str,
    ) -> Result<(), ChannelError> {
        let drawing = crate::delivery::render_terminal(activation_code)
            .map_err(|error| ChannelError::Dropped(error.to_string()))?;
        let png = crate::delivery::render_png(activation_code)
            .map_err(|error| ChannelError::Dropped(error.to_string()))?;
        println!("\nbino> {caption}\n{drawing}");
        // Not being able to save the image must not hide the code drawn above.
        match self.save_png(&png) {
            Ok(saved) => println!("      (QR code saved as {})\n", display(&saved)),
            Err(error) => println!(
                "      (QR code not saved in {}: {error})\n",
                display(&self.qr_dir)
            ),
        }
        Ok(())
    }

    async fn acknowledge(&self, _message_id: &str, _typing: bool) {}
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
