//! The `schemars::JsonSchema` derive of the generated types, conditional on carbonext-api's
//! `schemars` feature, so a service that never asks for JSON schemas compiles neither schemars
//! nor its derive macro (and the older `syn` that macro needs).
//!
//! progenitor has no conditional derive for all types, but takes an attribute per type (a
//! type patch): [`patch`] gives every struct and enum it makes
//! `#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]`, naming them from a first
//! run, and [`verify`] (which only reads) fails the generation when a serde type of the output lacks it (a
//! progenitor that names its types differently would otherwise leave them without a schema).

use progenitor::{GenerationSettings, Generator, TypePatch};
use syn::visit_mut::VisitMut;

/// The attribute every generated type gets.
const OPTIONAL_SCHEMA: &str = "#[cfg_attr(feature = \"schemars\", derive(schemars::JsonSchema))]";

/// Adds the attribute to every struct and enum progenitor makes from `spec` with `settings`.
pub(super) fn patch(
    settings: &mut GenerationSettings,
    spec: &openapiv3::OpenAPI,
) -> anyhow::Result<()> {
    let mut first = Generator::new(settings);
    first
        .generate_tokens(spec)
        .map_err(|e| anyhow::anyhow!("progenitor: {e}"))?;
    let names: Vec<String> = first
        .get_type_space()
        .iter_types()
        .map(|t| t.name())
        .filter(|name| !name.contains(['<', '(', '&', ' ']))
        .map(|name| name.rsplit("::").next().unwrap_or(&name).to_owned())
        .collect();
    let mut optional_schema = TypePatch::default();
    optional_schema.with_attr(OPTIONAL_SCHEMA);
    for name in names {
        settings.with_patch(name, &optional_schema);
    }
    Ok(())
}

/// Fails unless every struct and enum of `file` that serde derives carries the attribute.
pub(super) fn verify(file: &mut syn::File) -> anyhow::Result<()> {
    let mut count = Count::default();
    count.visit_file_mut(file);
    if count.serde == 0 || count.marked != count.serde {
        anyhow::bail!(
            "{} of the {} serde types progenitor made carry the optional JSON schema derive: \
             update xtask/src/codegen/optional_schemars.rs",
            count.marked,
            count.serde
        );
    }
    Ok(())
}

#[derive(Default)]
struct Count {
    /// Structs and enums with a serde derive.
    serde: usize,
    /// Those of them with the attribute.
    marked: usize,
}

impl Count {
    fn item(&mut self, attrs: &[syn::Attribute]) {
        // The tokens inside each `#[name(…)]`, as text.
        let inside = |name: &'static str| {
            attrs.iter().filter_map(move |attr| match &attr.meta {
                syn::Meta::List(list) if attr.path().is_ident(name) => {
                    Some(list.tokens.to_string())
                }
                _ => None,
            })
        };
        if inside("derive").any(|derives| derives.contains("serde")) {
            self.serde += 1;
            let wanted = OPTIONAL_SCHEMA
                .strip_prefix("#[cfg_attr(")
                .and_then(|rest| rest.strip_suffix(")]"))
                .expect("a cfg_attr")
                .parse::<proc_macro2::TokenStream>()
                .expect("tokens")
                .to_string();
            if inside("cfg_attr").any(|tokens| tokens == wanted) {
                self.marked += 1;
            }
        }
    }
}

impl VisitMut for Count {
    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        self.item(&item.attrs);
        syn::visit_mut::visit_item_struct_mut(self, item);
    }

    fn visit_item_enum_mut(&mut self, item: &mut syn::ItemEnum) {
        self.item(&item.attrs);
        syn::visit_mut::visit_item_enum_mut(self, item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_serde_type_needs_the_attribute() {
        let mut marked: syn::File = syn::parse_quote! {
            #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
            #[derive(::serde::Deserialize, Clone)]
            pub struct A;
            #[derive(Clone)]
            pub struct Builder;
        };
        verify(&mut marked).unwrap();
        let mut one_missing: syn::File = syn::parse_quote! {
            #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
            #[derive(::serde::Deserialize)]
            pub struct A;
            #[derive(::serde::Serialize)]
            pub enum B { X }
        };
        assert!(verify(&mut one_missing).is_err());
        let mut none: syn::File = syn::parse_quote! {
            #[derive(Clone)]
            pub struct A;
        };
        assert!(verify(&mut none).is_err());
    }
}
