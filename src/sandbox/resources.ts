/** Store rows as the API's JSON resources (URIs for related objects, as Perkville does). */
import {
  type BusinessResource,
  type ConnectionResource,
  type LocationResource,
  type PerkResource,
  resourceUri,
  type TransactionResource,
} from '../perkville/wire.js'
import type { BusinessRow, ConnectionRow, LocationRow, PerkRow, TransactionRow } from './store.js'

export function businessResource(row: BusinessRow): BusinessResource {
  return {
    id: row.id,
    name: row.name,
    timezone: row.timezone,
    resource_uri: resourceUri('businesses', row.id),
  }
}

export function locationResource(row: LocationRow): LocationResource {
  return {
    id: row.id,
    name: row.name,
    business: resourceUri('businesses', row.business_id),
    resource_uri: resourceUri('locations', row.id),
  }
}

/** The sandbox's perks also show their points rule (`kind`, `points_per_unit`). */
export function perkResource(row: PerkRow): PerkResource & { kind: PerkRow['kind'] } {
  return {
    id: row.id,
    title: row.title,
    business: resourceUri('businesses', row.business_id),
    kind: row.kind,
    points_per_unit: row.points_per_unit,
    resource_uri: resourceUri('perks', row.id),
  }
}

export function transactionResource(row: TransactionRow): TransactionResource & { user: string } {
  return {
    id: row.id,
    resource_uri: resourceUri('transactions', row.id),
    business: row.business_id,
    location: row.location_id,
    perk: row.perk_id,
    email: row.email,
    quantity: row.quantity,
    points: row.points,
    send_email: row.send_email === 1,
    trans_source_id: row.trans_source_id ?? '',
    transaction_dt: row.transaction_dt,
    created_dt: row.created_dt,
    user: resourceUri('users', row.user_id),
  }
}

export function connectionResource(row: ConnectionRow): ConnectionResource {
  return {
    id: row.id,
    business: resourceUri('businesses', row.business_id),
    user: resourceUri('users', row.user_id),
    email: row.email,
    point_balance: row.point_balance,
    resource_uri: resourceUri('connections', row.id),
  }
}
