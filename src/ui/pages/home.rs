use crate::ui::components::card_checker::CardChecker;
use leptos::prelude::*;
use leptos_meta::Title;

/// The public test cards and what kassa's test-mode processor does with each.
const TEST_CARDS: &[(&str, &str)] = &[
    ("4242 4242 4242 4242", "Succeeds"),
    ("4000 0025 0000 3155", "Asks for 3-D Secure authentication"),
    ("4000 0000 0000 0002", "Declined (generic decline)"),
    ("4000 0000 0000 9995", "Declined (insufficient funds)"),
    ("4000 0000 0000 0069", "Declined (expired card)"),
    ("4000 0000 0000 0127", "Declined (incorrect CVC)"),
];

/// The start page of a kassa installation.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="" />
        <main class="page">
            <header class="hero">
                <p class="brand">"kassa"</p>
                <h1>"Hosted checkout you run yourself"</h1>
                <p class="lead">
                    "Merchants create checkout sessions through the API or the dashboard. "
                    "Buyers pay on kassa's hosted page, and kassa tells the merchant by signed webhooks."
                </p>
            </header>

            <section aria-labelledby="test-cards-title">
                <h2 id="test-cards-title">"Test cards"</h2>
                <p>"In test mode, use these numbers with any future expiry date and any security code."</p>
                <table class="test-cards">
                    <thead>
                        <tr>
                            <th scope="col">"Card number"</th>
                            <th scope="col">"What happens"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {TEST_CARDS
                            .iter()
                            .map(|(number, outcome)| {
                                view! {
                                    <tr>
                                        <td class="mono">{*number}</td>
                                        <td>{*outcome}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </section>

            <CardChecker />

            <footer class="footer">
                <a href="/healthz">"Health"</a>
                " · "
                <a href="/readyz">"Readiness"</a>
            </footer>
        </main>
    }
}
