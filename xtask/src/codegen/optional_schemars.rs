//! `OptionalSchemars`: the `schemars::JsonSchema` derive progenitor writes on every generated
//! type (`with_derive("schemars::JsonSchema")`) made conditional on carbonext-api's `schemars`
//! feature, so a service that never asks for JSON schemas compiles neither schemars nor its
//! derive macro (and the older `syn` that macro needs).
//!
//! `#[derive(Clone, …, schemars::JsonSchema)]` becomes `#[derive(Clone, …)]` followed by
//! `#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]`; a `#[schemars(…)]`
//! helper attribute becomes `#[cfg_attr(feature = "schemars", schemars(…))]`. progenitor has no
//! setting for a conditional derive, hence this edit of its syntax tree.

use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;

/// Counts what it rewrote, for [`OptionalSchemars::verify`].
#[derive(Default)]
pub(super) struct OptionalSchemars {
    /// Derives from which `schemars::JsonSchema` was moved into a `cfg_attr`.
    derives: usize,
    /// `#[schemars(…)]` helper attributes put under the feature.
    helpers: usize,
}

impl OptionalSchemars {
    /// Fails when nothing was rewritten: progenitor's output changed shape (or the derive is no
    /// longer asked for), and the `schemars` feature would silently mean nothing.
    pub(super) fn verify(&self) -> anyhow::Result<()> {
        if self.derives == 0 {
            anyhow::bail!(
                "the optional-schemars pass found no `schemars::JsonSchema` derive (and {} \
                 helper attributes): progenitor's output changed shape; update \
                 xtask/src/codegen/optional_schemars.rs",
                self.helpers
            );
        }
        Ok(())
    }

    fn rewrite(&mut self, attrs: &mut Vec<syn::Attribute>) {
        let mut out = Vec::with_capacity(attrs.len() + 1);
        for attr in attrs.drain(..) {
            if attr.path().is_ident("schemars") {
                self.helpers += 1;
                let syn::Meta::List(list) = &attr.meta else {
                    out.push(attr);
                    continue;
                };
                let tokens = &list.tokens;
                out.push(syn::parse_quote!(#[cfg_attr(feature = "schemars", schemars(#tokens))]));
                continue;
            }
            if !attr.path().is_ident("derive") {
                out.push(attr);
                continue;
            }
            let Ok(paths) =
                attr.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            else {
                out.push(attr);
                continue;
            };
            let (schema, kept): (Vec<syn::Path>, Vec<syn::Path>) =
                paths.into_iter().partition(is_json_schema);
            if schema.is_empty() {
                out.push(attr);
                continue;
            }
            self.derives += 1;
            if !kept.is_empty() {
                out.push(syn::parse_quote!(#[derive(#(#kept),*)]));
            }
            out.push(syn::parse_quote!(
                #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
            ));
        }
        *attrs = out;
    }
}

/// Whether `path` is `schemars::JsonSchema` (with or without a leading `::`).
fn is_json_schema(path: &syn::Path) -> bool {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments == ["schemars", "JsonSchema"]
}

impl VisitMut for OptionalSchemars {
    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        self.rewrite(&mut item.attrs);
        syn::visit_mut::visit_item_struct_mut(self, item);
    }

    fn visit_item_enum_mut(&mut self, item: &mut syn::ItemEnum) {
        self.rewrite(&mut item.attrs);
        syn::visit_mut::visit_item_enum_mut(self, item);
    }

    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        self.rewrite(&mut field.attrs);
        syn::visit_mut::visit_field_mut(self, field);
    }

    fn visit_variant_mut(&mut self, variant: &mut syn::Variant) {
        self.rewrite(&mut variant.attrs);
        syn::visit_mut::visit_variant_mut(self, variant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derive_moves_under_the_feature_and_the_others_stay() {
        let mut file: syn::File = syn::parse_quote! {
            #[derive(Clone, Debug, schemars::JsonSchema)]
            pub struct A {
                #[schemars(length(max = 3))]
                pub code: String,
            }
            #[derive(Clone)]
            pub enum B { X }
        };
        let mut pass = OptionalSchemars::default();
        pass.visit_file_mut(&mut file);
        pass.verify().unwrap();
        let text = prettyplease::unparse(&file);
        assert!(text.contains("#[derive(Clone, Debug)]"), "{text}");
        assert!(
            text.contains("#[cfg_attr(feature = \"schemars\", derive(schemars::JsonSchema))]"),
            "{text}"
        );
        assert!(
            text.contains("#[cfg_attr(feature = \"schemars\", schemars(length(max = 3)))]"),
            "{text}"
        );
        assert_eq!((pass.derives, pass.helpers), (1, 1));
    }

    #[test]
    fn nothing_to_rewrite_fails_the_generation() {
        let mut file: syn::File = syn::parse_quote! {
            #[derive(Clone)]
            pub struct A;
        };
        let mut pass = OptionalSchemars::default();
        pass.visit_file_mut(&mut file);
        assert!(pass.verify().is_err());
    }
}
