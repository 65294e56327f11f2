//! The vault's certificate contacts: set, get, delete.

use crate::wire::Contacts;

use super::error::RestError;
use super::{Context, Decision, Loaded, Operation, Response, Write};

/// The contact routes, over the contacts loaded (`None`: none set).
pub(super) fn decide(cx: &Context<'_>, operation: &Operation, loaded: Loaded) -> Result<Decision, RestError> {
    let id = Some(cx.settings.url.contacts_id());
    match operation {
        Operation::SetCertificateContacts { contacts } => {
            let contacts = Contacts { id, contact_list: Some(contacts.contact_list.clone().unwrap_or_default()) };
            let response = Response::json(200, &contacts);
            Ok(Decision { response, effects: Vec::new(), writes: vec![Write::Contacts(Some(contacts))] })
        }
        Operation::GetCertificateContacts => {
            let contacts = loaded.contacts.ok_or(RestError::ContactsNotFound)?;
            Ok(Decision::answer(Response::json(200, &Contacts { id, ..contacts })))
        }
        Operation::DeleteCertificateContacts => {
            let contacts = loaded.contacts.ok_or(RestError::ContactsNotFound)?;
            let response = Response::json(200, &Contacts { id, ..contacts });
            Ok(Decision { response, effects: Vec::new(), writes: vec![Write::Contacts(None)] })
        }
        _ => Err(RestError::RouteNotFound { path: String::new() }),
    }
}
