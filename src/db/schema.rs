//! Diesel's view of the tables in `migrations/` (identical on SQLite and PostgreSQL).

diesel::table! {
    centers (id) {
        id -> BigInt,
        code -> Text,
        format -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    center_secrets (id) {
        id -> BigInt,
        center_id -> BigInt,
        secret -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    tickets (workflow_id) {
        workflow_id -> Text,
        center_id -> BigInt,
        ticket_number -> Text,
        revision -> BigInt,
        delivery_id -> Text,
        format -> Text,
        content_hash -> Text,
        ticket_json -> Text,
        raw_payload -> Binary,
        content_type -> Text,
        excavator_key -> Nullable<Text>,
        received_at -> BigInt,
        due_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    workflows (id) {
        id -> Text,
        center_id -> BigInt,
        center -> Text,
        ticket_number -> Text,
        revision -> BigInt,
        state -> Text,
        version -> BigInt,
        aggregate -> Text,
        band -> Nullable<Text>,
        last_hash -> Text,
        attempts -> BigInt,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    events (workflow_id, seq) {
        workflow_id -> Text,
        seq -> BigInt,
        from_state -> Nullable<Text>,
        to_state -> Text,
        event -> Text,
        principal -> Text,
        payload -> Text,
        prev_hash -> Text,
        hash -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    scores (workflow_id) {
        workflow_id -> Text,
        probability -> Double,
        band -> Text,
        model_version -> Text,
        top_features -> Text,
        features -> Text,
        scored_at -> BigInt,
    }
}

diesel::table! {
    alerts (id) {
        id -> Text,
        workflow_id -> Text,
        center -> Text,
        ticket_number -> Text,
        state -> Text,
        tier -> BigInt,
        ack_deadline -> Nullable<BigInt>,
        raised_at -> BigInt,
        acknowledged_by -> Nullable<Text>,
        acknowledged_at -> Nullable<BigInt>,
        resolved_by -> Nullable<Text>,
        resolved_at -> Nullable<BigInt>,
        disposition -> Nullable<Text>,
        note -> Nullable<Text>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    timers (id) {
        id -> Text,
        workflow_id -> Text,
        kind -> Text,
        payload -> Text,
        due_at -> BigInt,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<BigInt>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        message_id -> Text,
        routing_key -> Text,
        workflow_id -> Text,
        payload -> Text,
        created_at -> BigInt,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<BigInt>,
    }
}

diesel::table! {
    dead_letters (id) {
        id -> Text,
        kind -> Text,
        format -> Nullable<Text>,
        center -> Nullable<Text>,
        workflow_id -> Nullable<Text>,
        error -> Text,
        payload -> Binary,
        content_type -> Nullable<Text>,
        created_at -> BigInt,
        redriven_at -> Nullable<BigInt>,
        redriven_by -> Nullable<Text>,
        dismissed_at -> Nullable<BigInt>,
        dismissed_by -> Nullable<Text>,
        dismiss_reason -> Nullable<Text>,
    }
}

diesel::table! {
    excavators (key) {
        key -> Text,
        tickets -> BigInt,
        damages -> BigInt,
    }
}

diesel::table! {
    outcomes (id) {
        id -> Text,
        workflow_id -> Nullable<Text>,
        center -> Text,
        ticket_number -> Text,
        damage -> Bool,
        facility -> Nullable<Text>,
        reported_at -> BigInt,
        notes -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> BigInt,
        revision -> Nullable<BigInt>,
        delivery_id -> Nullable<Text>,
    }
}

diesel::table! {
    principals (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        password_hash -> Nullable<Text>,
    }
}

diesel::table! {
    models (version) {
        version -> Text,
        path -> Text,
        metrics -> Text,
        created_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    centers,
    center_secrets,
    tickets,
    workflows,
    events,
    scores,
    alerts,
    timers,
    outbox,
    dead_letters,
    excavators,
    outcomes,
    principals,
    models,
    training_rows,
    user_channels,
    rosters,
    deliveries,
    link_keys,
    sessions,
    response_apis,
    response_codes,
    locate_codes,
    responses,
    reconciliations,
    sequence_marks,
    facility_layers,
    facility_versions,
    facilities,
    facility_coverage,
    auto_clear,
    screening_generation,
    screenings,
    investigations,
    report_tickets,
);

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        principal_id -> Text,
        csrf -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Text,
        subject -> Text,
        alert_id -> Nullable<Text>,
        workflow_id -> Nullable<Text>,
        change -> Nullable<Text>,
        reconciliation_id -> Nullable<Text>,
        user_name -> Text,
        channel_kind -> Text,
        channel -> Text,
        state -> Text,
        attempts -> BigInt,
        next_at -> BigInt,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        link_used_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    link_keys (id) {
        id -> Text,
        secret -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    user_channels (principal_id, position) {
        principal_id -> Text,
        position -> BigInt,
        kind -> Text,
        definition -> Text,
    }
}

diesel::table! {
    rosters (name) {
        name -> Text,
        definition -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    training_rows (id) {
        id -> BigInt,
        source -> Text,
        features -> Text,
        label -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    response_apis (center) {
        center -> Text,
        url -> Text,
        username -> Text,
        password -> Text,
        station -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    response_codes (center, disposition) {
        center -> Text,
        disposition -> Text,
        code -> Text,
    }
}

diesel::table! {
    locate_codes (center, code) {
        center -> Text,
        code -> Text,
        active -> Bool,
        description -> Text,
        fetched_at -> BigInt,
    }
}

diesel::table! {
    responses (id) {
        id -> Text,
        workflow_id -> Text,
        center -> Text,
        ticket_number -> Text,
        station -> Text,
        code -> Text,
        note -> Nullable<Text>,
        account -> Text,
        state -> Text,
        attempts -> BigInt,
        next_at -> BigInt,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    reconciliations (id) {
        id -> Text,
        center -> Text,
        station -> Text,
        day -> Text,
        listed -> BigInt,
        total -> BigInt,
        missing -> Text,
        unexpected -> Text,
        count_mismatch -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    sequence_marks (center, delivery_id) {
        center -> Text,
        delivery_id -> Text,
        station -> Text,
        sequence -> BigInt,
        received_at -> BigInt,
    }
}

diesel::table! {
    facility_layers (name) {
        name -> Text,
        class -> Text,
        buffer_ft -> Double,
        close_ft -> Double,
        active_version -> Nullable<BigInt>,
        retired_by -> Nullable<Text>,
        retired_at -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    facility_versions (layer, version) {
        layer -> Text,
        version -> BigInt,
        class -> Text,
        buffer_ft -> Double,
        close_ft -> Double,
        imported_by -> Text,
        imported_at -> BigInt,
        source_format -> Text,
        source_crs -> Text,
        source_sha256 -> Text,
        source_bytes -> BigInt,
        features -> BigInt,
        vertices -> BigInt,
        min_lon -> Double,
        min_lat -> Double,
        max_lon -> Double,
        max_lat -> Double,
    }
}

diesel::table! {
    facilities (layer, version, seq) {
        layer -> Text,
        version -> BigInt,
        seq -> BigInt,
        feature_id -> Text,
        geometry -> Binary,
        attributes -> Text,
    }
}

diesel::table! {
    facility_coverage (id) {
        id -> BigInt,
        multipolygon -> Text,
        set_by -> Text,
        set_at -> BigInt,
    }
}

diesel::table! {
    auto_clear (center) {
        center -> Text,
        enabled -> Bool,
        ticket_types -> Text,
        set_by -> Text,
        set_at -> BigInt,
    }
}

diesel::table! {
    screening_generation (id) {
        id -> BigInt,
        generation -> BigInt,
    }
}

diesel::table! {
    screenings (workflow_id) {
        workflow_id -> Text,
        category -> Text,
        screening -> Text,
        screened_at -> BigInt,
    }
}

diesel::table! {
    investigations (id) {
        id -> Text,
        workflow_id -> Text,
        center -> Text,
        ticket_number -> Text,
        kind -> Text,
        state -> Text,
        occurred_at -> BigInt,
        facility_class -> Text,
        facility_layer -> Nullable<Text>,
        facility_feature_id -> Nullable<Text>,
        root_cause -> Nullable<Text>,
        root_cause_group -> Nullable<Text>,
        excavator_type -> Nullable<Text>,
        excavator -> Nullable<Text>,
        excavator_key -> Nullable<Text>,
        equipment -> Nullable<Text>,
        work_type -> Nullable<Text>,
        method -> Nullable<Text>,
        marks -> Nullable<Text>,
        response_on_time -> Nullable<Bool>,
        downtime_hours -> Nullable<Double>,
        cost_usd -> Nullable<Double>,
        at_fault -> Nullable<Text>,
        narrative -> Nullable<Text>,
        opened_by -> Text,
        opened_at -> BigInt,
        updated_at -> BigInt,
        closed_by -> Nullable<Text>,
        closed_at -> Nullable<BigInt>,
        version -> BigInt,
    }
}

diesel::table! {
    report_tickets (workflow_id) {
        workflow_id -> Text,
        center -> Text,
        received_at -> BigInt,
        ticket_type -> Text,
        counted -> Bool,
        work_type -> Nullable<Text>,
        method -> Nullable<Text>,
        excavator_key -> Nullable<Text>,
        excavator -> Nullable<Text>,
        legal_start_at -> Nullable<BigInt>,
        due_at -> Nullable<BigInt>,
        dug_early -> Bool,
        category -> Nullable<Text>,
        cleared -> Bool,
        answered_at -> Nullable<BigInt>,
        received_hour -> BigInt,
    }
}
