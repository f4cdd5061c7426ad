//! Wiring: builds every component from the settings, and runs the server and its workers.

use std::num::NonZeroU32;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::{ExposeSecret, SecretString};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::bot::channel::{Channel, Unconfigured, WhatsAppChannel};
use crate::bot::{Bot, BotSettings, ChatOrderNews, TemplateNames};
use crate::config::{PaymentsKind, Settings, SupplierKind};
use crate::discovery::Discovery;
use crate::discovery::llm::{LlmConfig, LlmExtractor};
use crate::events::EventPublisher;
use crate::events::backoff::RetrySchedule;
use crate::events::delivery::{Deliveries, DeliveryTuning};
use crate::events::sender::{Target, WebhookSender};
use crate::jobs::allocation::AllocationPoller;
use crate::jobs::outbound::{DeliveryWorker, fan_out_worker};
use crate::jobs::whatsapp::{self, TurnHandler, WhatsAppWorker};
use crate::jobs::{payments, supplier_events};
use crate::orders::OrderService;
use crate::payments::stripe::{StripeClient, StripeConfig};
use crate::payments::{Checkout, PaymentPolicy};
use crate::store::{MemoryStore, RedisStore, SharedStore};
use crate::supply::cache::CatalogCache;
use crate::supply::esimaccess::{EsimAccessClient, EsimAccessConfig};
use crate::supply::metered::Metered;
use crate::supply::sandbox::{SandboxConfig, SandboxSupplier};
use crate::supply::{EventSink, Supplier};
use crate::telemetry;
use crate::whatsapp::graph::{GraphClient, GraphConfig};
use crate::whatsapp::outbox::Outbox;
use crate::whatsapp::signature::SignatureVerifier;

/// Everything a request handler or a worker may need, built once.
pub struct App {
    pub settings: Settings,
    pub store: SharedStore,
    pub supplier: Arc<dyn Supplier>,
    pub catalog: Arc<CatalogCache>,
    pub orders: Arc<OrderService>,
    /// Reads destinations out of free text.
    pub discovery: Arc<Discovery>,
    pub metrics: PrometheusHandle,
    /// Checks the signatures of WhatsApp deliveries.
    pub whatsapp_signatures: SignatureVerifier,
    /// Sends WhatsApp messages; `None` when no Graph API token and number are configured.
    pub outbox: Option<Arc<Outbox>>,
    /// The conversation.
    pub bot: Arc<Bot>,
    /// What the WhatsApp worker does with each customer's updates: the bot, unless a test
    /// replaces it.
    pub whatsapp_handler: Arc<dyn TurnHandler>,
    /// The token supplier webhooks must carry; random when none is configured, so that the
    /// route is closed rather than open.
    pub supplier_webhook_token: SecretString,
    /// Turns order changes and hand-offs into outbound events.
    pub events: Arc<EventPublisher>,
    /// Deliveries of outbound events to business callbacks and the support desk.
    pub deliveries: Arc<Deliveries>,
    /// Retry schedule and pace of the delivery worker; tests shorten it before it starts.
    pub delivery_tuning: DeliveryTuning,
    /// Paces supply API requests per API key (keyed by the key's hash, never the key).
    // TODO: count in the store instead, because each process paces alone, so N processes
    // behind a balancer allow N times the configured rate.
    pub api_limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl App {
    /// Connects the store and the supplier described by `settings`.
    pub async fn build(settings: Settings) -> anyhow::Result<Arc<App>> {
        let store: SharedStore = match &settings.redis_url {
            Some(url) => Arc::new(
                RedisStore::connect(url.expose_secret(), &settings.redis_prefix)
                    .await
                    .context("could not connect to Redis (BINO_REDIS_URL)")?,
            ),
            None => {
                tracing::warn!(
                    "BINO_REDIS_URL is not set: state is kept in this process only and is lost on exit"
                );
                Arc::new(MemoryStore::new())
            }
        };
        App::build_with_store(settings, store).await
    }

    /// Like [`App::build`] with a given store, as tests do to pick a key prefix.
    pub async fn build_with_store(
        settings: Settings,
        store: SharedStore,
    ) -> anyhow::Result<Arc<App>> {
        App::build_with(settings, store, None).await
    }

    /// Like [`App::build_with_store`], with the bot speaking through `channel` instead of
    /// WhatsApp, as `bino chat` does.
    pub async fn build_with(
        settings: Settings,
        store: SharedStore,
        channel: Option<Arc<dyn Channel>>,
    ) -> anyhow::Result<Arc<App>> {
        let supplier: Arc<dyn Supplier> = match (settings.supplier, &settings.esimaccess) {
            (SupplierKind::EsimAccess, Some(credentials)) => {
                let config = EsimAccessConfig {
                    base_url: credentials.base_url.clone(),
                    timeout: credentials.timeout,
                    ..EsimAccessConfig::new(
                        credentials.access_code.clone(),
                        credentials.secret_key.clone(),
                    )
                };
                Arc::new(Metered::new(
                    EsimAccessClient::new(config)
                        .context("could not set up the eSIM Access client")?,
                ))
            }
            _ => {
                let sandbox = SandboxSupplier::new(SandboxConfig {
                    allocation_delay: settings.sandbox_allocation_delay,
                    event_interval: settings.sandbox_event_interval,
                    // A seed per process, so processes sharing one Redis (or one that
                    // restarted) mint different order numbers, ICCIDs and codes.
                    seed: rand::random(),
                    ..SandboxConfig::default()
                });
                // The sandbox's events take the path real webhooks take: into the inbox.
                sandbox.set_event_sink(Arc::new(InboxSink {
                    store: Arc::clone(&store),
                }));
                Arc::new(Metered::new(sandbox))
            }
        };

        let catalog = Arc::new(CatalogCache::new(
            Arc::clone(&supplier),
            Arc::clone(&store),
            settings.catalog_ttl,
        ));
        let orders = Arc::new(OrderService::new(
            Arc::clone(&store),
            Arc::clone(&catalog),
            settings.margin_percent,
            settings.allocation_poll_after,
        ));
        let supplier_webhook_token = settings
            .supplier_webhook_token
            .clone()
            .unwrap_or_else(|| SecretString::from(uuid::Uuid::new_v4().simple().to_string()));

        let discovery = Arc::new(discovery_from(&settings));
        let whatsapp_signatures = SignatureVerifier::new(
            &settings
                .whatsapp_app_secret
                .clone()
                .unwrap_or_else(|| SecretString::from("")),
        );
        let outbox = match (&settings.whatsapp_token, &settings.whatsapp_phone_number_id) {
            (Some(token), Some(phone_number_id)) => {
                let graph = GraphClient::new(GraphConfig::new(
                    settings.graph_base_url.clone(),
                    token.clone(),
                    phone_number_id.clone(),
                ))
                .context("could not set up the WhatsApp Graph API client")?;
                Some(Arc::new(Outbox::new(Arc::new(graph), Arc::clone(&store))))
            }
            _ => None,
        };
        let channel = channel.unwrap_or_else(|| match &outbox {
            Some(outbox) => Arc::new(WhatsAppChannel::new(Arc::clone(outbox))),
            None => Arc::new(Unconfigured),
        });
        let events = Arc::new(EventPublisher::new(Arc::clone(&store)));
        let support = settings
            .support_webhook_url
            .clone()
            .zip(settings.support_webhook_secret.clone())
            .map(|(url, secret)| Target { url, secret });
        let deliveries = Arc::new(Deliveries::new(
            Arc::clone(&store),
            WebhookSender::new().context("could not set up the event delivery client")?,
            support,
        ));
        let delivery_tuning = DeliveryTuning {
            retry: RetrySchedule {
                base: settings.event_retry_base,
                ..RetrySchedule::default()
            },
            ..DeliveryTuning::default()
        };

        let checkout: Option<Arc<dyn Checkout>> = match (
            settings.payments,
            &settings.stripe_secret_key,
            &settings.public_url,
        ) {
            (PaymentsKind::Stripe, Some(secret_key), Some(public_url)) => Some(Arc::new(
                StripeClient::new(StripeConfig {
                    base_url: settings.stripe_base_url.clone(),
                    secret_key: secret_key.clone(),
                    public_url: public_url.clone(),
                })
                .context("could not set up the Stripe client")?,
            )),
            _ => None,
        };
        if checkout.is_none() && settings.supplier == SupplierKind::EsimAccess {
            tracing::warn!(
                "BINO_PAYMENTS=none with a live supplier: only BINO_ALLOWED_CUSTOMERS can buy in chat"
            );
        }
        let payments = Arc::new(PaymentPolicy::new(
            checkout,
            settings.allowed_customers.clone(),
            settings.supplier == SupplierKind::Sandbox,
        ));

        let bot = Arc::new(Bot {
            store: Arc::clone(&store),
            discovery: Arc::clone(&discovery),
            catalog: Arc::clone(&catalog),
            orders: Arc::clone(&orders),
            events: Arc::clone(&events),
            channel,
            payments,
            settings: BotSettings {
                idle_restart: settings.conversation_idle_restart,
                searches_per_minute: settings.searches_per_minute,
                orders_per_day: settings.orders_per_day,
                margin_percent: settings.margin_percent,
                low_data_percent: settings.low_data_percent,
                templates: TemplateNames {
                    esim_ready: settings.template_esim_ready.clone(),
                    data_low: settings.template_data_low.clone(),
                    expiring: settings.template_expiring.clone(),
                },
            },
        });
        orders.observe(Arc::new(ChatOrderNews {
            store: Arc::clone(&store),
        }));
        orders.observe(Arc::clone(&events) as Arc<dyn crate::orders::OrderObserver>);
        let whatsapp_handler: Arc<dyn TurnHandler> = bot.clone();
        let api_limiter = Arc::new(RateLimiter::keyed(api_quota(&settings)));

        Ok(Arc::new(App {
            settings,
            store,
            supplier,
            catalog,
            orders,
            discovery,
            metrics: telemetry::metrics_handle(),
            supplier_webhook_token,
            whatsapp_signatures,
            outbox,
            bot,
            whatsapp_handler,
            events,
            deliveries,
            delivery_tuning,
            api_limiter,
        }))
    }

    /// Starts the background workers; they stop when `shutdown` is cancelled.
    pub fn spawn_workers(self: &Arc<Self>, shutdown: &CancellationToken) -> JoinSet<()> {
        let mut workers = JoinSet::new();
        let consumer = crate::jobs::consumer_name();

        let events = supplier_events::worker(
            Arc::clone(&self.store),
            Arc::clone(&self.orders),
            consumer.clone(),
        );
        workers.spawn(events.run(shutdown.clone()));
        let payments = payments::worker(
            Arc::clone(&self.store),
            Arc::clone(&self.orders),
            consumer.clone(),
        );
        workers.spawn(payments.run(shutdown.clone()));

        let poller = AllocationPoller {
            store: Arc::clone(&self.store),
            orders: Arc::clone(&self.orders),
            consumer: consumer.clone(),
        };
        workers.spawn(poller.run(shutdown.clone()));

        let fan_out = fan_out_worker(Arc::clone(&self.deliveries), consumer.clone());
        workers.spawn(fan_out.run(shutdown.clone()));
        let delivery = DeliveryWorker {
            deliveries: Arc::clone(&self.deliveries),
            tuning: self.delivery_tuning,
        };
        workers.spawn(delivery.run(shutdown.clone()));

        WhatsAppWorker::new(
            Arc::clone(&self.store),
            Arc::clone(&self.whatsapp_handler),
            consumer,
            whatsapp::Tuning::default(),
        )
        .spawn(&mut workers, shutdown);

        let app = Arc::clone(self);
        workers.spawn(async move { app.catalog.warm().await });
        workers
    }

    /// Whether the supplier answers a cheap call.
    pub async fn supplier_reachable(&self) -> bool {
        self.supplier.balance().await.is_ok()
    }
}

/// The destination reader described by the settings: local, plus an LLM when configured.
pub fn discovery_from(settings: &Settings) -> Discovery {
    let llm = match (&settings.llm_base_url, &settings.llm_model) {
        (Some(base_url), Some(model)) => Some(LlmExtractor::new(LlmConfig {
            base_url: base_url.clone(),
            api_key: settings
                .llm_api_key
                .clone()
                .unwrap_or_else(|| SecretString::from("")),
            model: model.clone(),
            ..LlmConfig::default()
        })),
        _ => None,
    };
    Discovery::new(llm, settings.llm_mode)
}

/// The pace one supply API key may keep, from the settings (which are never zero).
fn api_quota(settings: &Settings) -> Quota {
    let per_second = NonZeroU32::new(settings.api_rate_per_second).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(settings.api_rate_burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(per_second).allow_burst(burst)
}

/// Delivers sandbox events into the supplier inbox.
struct InboxSink {
    store: SharedStore,
}

#[async_trait]
impl EventSink for InboxSink {
    async fn deliver(&self, body: Vec<u8>) {
        if let Err(error) = supplier_events::enqueue(self.store.as_ref(), &body).await {
            tracing::error!(%error, "sandbox event could not be stored");
        }
    }
}

/// Runs `bino serve`: HTTP plus workers until SIGTERM or Ctrl-C, then drains.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let listen = settings.listen;
    let app = App::build(settings).await?;
    let shutdown = CancellationToken::new();
    let mut workers = app.spawn_workers(&shutdown);

    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("could not listen on {listen} (BINO_LISTEN)"))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        supplier = app.supplier.name(),
        store = app.store.backend(),
        "bino is serving"
    );
    if app.settings.uses_sandbox_api_key() {
        tracing::warn!("BINO_API_KEYS is not set: the supply API accepts the key \"sandbox\"");
    }

    let signal = shutdown.clone();
    axum::serve(listener, crate::http::router(Arc::clone(&app)))
        .with_graceful_shutdown(async move {
            wait_for_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            signal.cancel();
        })
        .await
        .context("HTTP server failed")?;

    shutdown.cancel();
    while workers.join_next().await.is_some() {}
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
