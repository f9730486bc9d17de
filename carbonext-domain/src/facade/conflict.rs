//! A key is bound to what it ordered: when an order already exists under a request's key, what
//! the request asks for is compared with what the order records. The API has no idempotency
//! check of its own, so this one is client-side, as Stripe refuses a reused idempotency key
//! with other parameters.

use crate::order::{fingerprint, NewOrder, Order, Recipient};
use crate::VcuAmount;

/// The fields of `request` that differ from `existing`, by their API names: `vcuAmount`,
/// `targetCurrency`, each recipient field the request gives (an empty recipient means "the
/// customer's own data", never a difference), and `payWithBalance`, which the order does not
/// record, through the fingerprint beside its key (an order whose marker has none is not
/// compared on it).
pub(crate) fn differing(request: &NewOrder, existing: &Order) -> Vec<&'static str> {
    let mut fields = differing_vcus(request.vcu_amount(), existing);
    fields.extend(differing_payment(request.pays_with_balance(), existing));
    if existing
        .target_currency
        .as_ref()
        .is_some_and(|currency| currency != request.currency())
    {
        fields.push("targetCurrency");
    }
    if let Some(asked) = request.recipient() {
        fields.extend(differing_recipient(
            asked,
            existing.certificate_recipient_info.as_ref(),
        ));
    }
    fields
}

/// `["vcuAmount"]` when `existing` is not for `vcus` (compared as numbers: `3` is `3.00`).
pub(crate) fn differing_vcus(vcus: VcuAmount, existing: &Order) -> Vec<&'static str> {
    if existing.vcu_amount == vcus.value() {
        Vec::new()
    } else {
        vec!["vcuAmount"]
    }
}

/// `Some("payWithBalance")` when `existing`'s key marker has a fingerprint and it is not the
/// one of a request paid (or not) from the balance as `pay_with_balance` says.
pub(crate) fn differing_payment(pay_with_balance: bool, existing: &Order) -> Option<&'static str> {
    let recorded = existing.request_fingerprint.as_deref()?;
    (recorded != fingerprint(pay_with_balance)).then_some("payWithBalance")
}

/// The recipient fields `asked` gives that `recorded` does not hold with the same value.
fn differing_recipient(asked: &Recipient, recorded: Option<&Recipient>) -> Vec<&'static str> {
    let empty = Recipient::default();
    let recorded = recorded.unwrap_or(&empty);
    let pairs: [(&'static str, &Option<String>, &Option<String>); 6] = [
        ("certificateRecipientInfo.name", &asked.name, &recorded.name),
        (
            "certificateRecipientInfo.email",
            &asked.email,
            &recorded.email,
        ),
        (
            "certificateRecipientInfo.taxId",
            &asked.tax_id,
            &recorded.tax_id,
        ),
        (
            "certificateRecipientInfo.retirementName",
            &asked.retirement_name,
            &recorded.retirement_name,
        ),
        (
            "certificateRecipientInfo.retirementEmail",
            &asked.retirement_email,
            &recorded.retirement_email,
        ),
        (
            "certificateRecipientInfo.retirementTaxId",
            &asked.retirement_tax_id,
            &recorded.retirement_tax_id,
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, asked, recorded)| asked.is_some() && asked != recorded)
        .map(|(name, _, _)| name)
        .collect()
}
