//! Seeding, as in the sign-up walkthrough: a customer, an API key with every permission, and
//! a paid credit-card invoice (prepaid) so that the customer has a VCU balance.

use carbonext_api::{Currency, InvoiceStatus, PaymentType, PurchaseType};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::accounts::CLIENT_ID_PREFIX;
use crate::permissions;
use crate::store::{ApiKey, Customer, Store, StoredInvoice};
use crate::CustomerCredentials;

/// Creates a customer with an all-permission key and a paid BRL invoice of
/// `initial_vcu_credit` VCUs (none when zero).
pub fn customer(store: &Store, initial_vcu_credit: Decimal) -> CustomerCredentials {
    let now = store.clock.now();
    let customer_id = store.ids.next_uuid();
    let credentials = new_key(store, customer_id, permissions::all_keys(), "Sandbox key");
    let mut state = store.lock();
    let number = state.customers.len() + 1;
    state.customers.push(Customer {
        id: customer_id,
        name: format!("Sandbox Customer {number} Ltda"),
    });
    if initial_vcu_credit > Decimal::ZERO {
        let price = store.price(&Currency::Brl).unwrap_or(Decimal::ZERO);
        state.invoices.push(StoredInvoice {
            id: store.ids.next_uuid(),
            customer_id,
            status: InvoiceStatus::Paid,
            total_vcu_amount: initial_vcu_credit,
            total_price: initial_vcu_credit
                .checked_mul(price)
                .unwrap_or(Decimal::MAX),
            currency: Currency::Brl,
            created_at: now,
            paid_at: Some(now),
            payment_type: Some(PaymentType::CreditCard),
            purchase_type: Some(PurchaseType::PrePaid),
        });
    }
    state
        .keys
        .insert(credentials.client_id.clone(), credentials.1.clone());
    credentials.0
}

/// Adds a key with exactly `permission_keys` to `customer_id`; `Err` names an unknown key.
pub fn api_key(
    store: &Store,
    customer_id: Uuid,
    permission_keys: &[&str],
) -> Result<CustomerCredentials, String> {
    let keys = permission_keys
        .iter()
        .map(|k| {
            permissions::by_key(k)
                .map(|p| p.key)
                .ok_or_else(|| (*k).to_owned())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let credentials = new_key(store, customer_id, keys, "Restricted sandbox key");
    store
        .lock()
        .keys
        .insert(credentials.client_id.clone(), credentials.1.clone());
    Ok(credentials.0)
}

struct NewKey(CustomerCredentials, ApiKey);

impl std::ops::Deref for NewKey {
    type Target = CustomerCredentials;
    fn deref(&self) -> &CustomerCredentials {
        &self.0
    }
}

fn new_key(
    store: &Store,
    customer_id: Uuid,
    permissions: Vec<&'static str>,
    display_name: &str,
) -> NewKey {
    let client_id = format!("{CLIENT_ID_PREFIX}{}", store.ids.next_uuid());
    let client_secret = store.ids.next_uuid().to_string();
    let key = ApiKey {
        id: store.ids.next_uuid(),
        customer_id,
        client_id: client_id.clone(),
        client_secret: client_secret.clone(),
        display_name: display_name.to_owned(),
        permissions,
        created_at: store.clock.now(),
    };
    NewKey(
        CustomerCredentials {
            customer_id,
            client_id,
            client_secret,
        },
        key,
    )
}
