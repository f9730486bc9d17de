//! Catalogue endpoints: permissions (paginated), resources and their allowed filters.
//!
//! `GET /v1/permissions` answers the pagination envelope with a default `page-size` of 20, so
//! one page holds the whole catalogue of 11 (the docs' example asks for 20). The filters and
//! sorts listed by `GET /v1/allowed-filters/{resource}` are exactly those the list endpoints
//! accept (one table, [`crate::filter::Catalog`], with or without the orders' `metaData`
//! filter as the sandbox was built); an unknown resource is a 404.

use axum::extract::{Path, State};
use axum::Json;
use carbonext_api::types::{Aggregate, AllowedFilters, PermissionList, Resources};

use crate::app::AppState;
use crate::auth::Caller;
use crate::permissions;
use crate::problem::Problem;
use crate::query::{paginate, PageRequest, Params};

/// Default `page-size` of the permission list.
const PERMISSIONS_PAGE_SIZE: u32 = 20;

/// `listPermissions`.
pub async fn list_permissions(
    State(_app): State<AppState>,
    _caller: Caller,
    params: Params,
) -> Result<Json<PermissionList>, Problem> {
    let mut request = params.page_request()?;
    if params.get("page-size").is_none() {
        request = PageRequest {
            size: PERMISSIONS_PAGE_SIZE,
            ..request
        };
    }
    let all = permissions::ALL.iter().map(permissions::wire).collect();
    Ok(Json(PermissionList::PermissionPage(paginate(all, request))))
}

/// `listResources`.
pub async fn list_resources(State(app): State<AppState>) -> Json<Resources> {
    Json(Resources {
        entities: app
            .filters
            .resources()
            .iter()
            .map(|r| r.name.to_owned())
            .collect(),
    })
}

/// `getAllowedFilters`.
pub async fn get_allowed_filters(
    State(app): State<AppState>,
    Path(resource): Path<String>,
) -> Result<Json<AllowedFilters>, Problem> {
    let spec = app
        .filters
        .resource(&resource)
        .ok_or_else(|| Problem::not_found(format!("unknown resource `{resource}`")))?;
    Ok(Json(AllowedFilters {
        filters: spec.filter_names(),
        sort: spec.sort.iter().map(|s| (*s).to_owned()).collect(),
        aggregate: (!spec.aggregate_columns.is_empty()).then(|| Aggregate {
            columns: spec
                .aggregate_columns
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            operations: ["sum", "avg", "min", "max", "count"]
                .map(str::to_owned)
                .to_vec(),
        }),
    }))
}
